/**
 * The fixed part of the replay script: strict mode, environment checks and the functions the
 * generated calls use (request with 429 waits, id capture, job polling, rollbacks). Plain bash and
 * curl; it contains no user value, so nothing here needs quoting.
 */
export const PREAMBLE = `set -euo pipefail

# Associative arrays (the id map) need bash 4; macOS ships 3.2 as /bin/bash.
if ((BASH_VERSINFO[0] < 4)); then
  printf 'replay: needs bash 4 or newer (on macOS: brew install bash)\\n' >&2
  exit 64
fi

if [[ -z \${BASE_URL:-} || -z \${API_KEY:-} ]]; then
  printf 'replay: set BASE_URL (e.g. http://127.0.0.1:8787) and API_KEY\\n' >&2
  exit 64
fi
case $BASE_URL in
  http://* | https://*) ;;
  *)
    printf 'replay: BASE_URL must start with http:// or https://\\n' >&2
    exit 64
    ;;
esac
BASE_URL=\${BASE_URL%/}
JOB_TIMEOUT=\${REPLAY_JOB_TIMEOUT:-300}
if [[ ! $JOB_TIMEOUT =~ ^[0-9]+$ ]]; then
  printf 'replay: REPLAY_JOB_TIMEOUT must be a number of seconds\\n' >&2
  exit 64
fi
# One session for every job of this run; also the prefix of each Idempotency-Key, so a re-sent
# submission is answered from the first one instead of running twice.
RUN_ID="replay-$(date +%s)-$$"
HEADERS=$(mktemp)
trap 'rm -f "$HEADERS"' EXIT

declare -A NEW_ID=() TASK_STEP=()
PROJECT_ID='' STATUS='' BODY=''
JOBS=0 ROLLBACKS=0 IMAGES=0 SKIPPED=0

log() { printf 'replay: %s\\n' "$*" >&2; }

# request METHOD PATH [JSON] [IDEMPOTENCY_KEY] — sets STATUS and BODY; waits out 429 answers.
# The key travels on stdin (-H @-), so it never shows in the process list.
request() {
  local method=$1 path=$2 data=\${3-} key=\${4-} out tries=0 wait
  local -a args=(-sS -X "$method" -D "$HEADERS" -H @- -w '\\n%{http_code}' --max-time 60)
  if [[ -n $data ]]; then args+=(-H 'Content-Type: application/json' --data-binary "$data"); fi
  if [[ -n $key ]]; then args+=(-H "Idempotency-Key: $key"); fi
  while :; do
    if ! out=$(printf 'X-Api-Key: %s\\n' "$API_KEY" | curl "\${args[@]}" -- "$BASE_URL$path"); then
      log "$method $path: no answer from $BASE_URL"
      exit 1
    fi
    STATUS=\${out##*$'\\n'}
    BODY=\${out%$'\\n'*}
    if [[ $STATUS != 429 || $tries -ge 60 ]]; then return 0; fi
    wait=$(sed -n 's/^[Rr]etry-[Aa]fter:[[:space:]]*\\([0-9]\\{1,4\\}\\).*/\\1/p' "$HEADERS" | head -n 1)
    tries=$((tries + 1))
    sleep "\${wait:-2}"
  done
}

# json_id KEY — the first "KEY":"<id>" in BODY. A quote inside a JSON string is always escaped,
# so no prompt or name can fake a key; ids are url-safe, so the class below covers them.
json_id() {
  local re="\\"$1\\":\\"([A-Za-z0-9_-]+)\\""
  if [[ $BODY =~ $re ]]; then printf '%s' "\${BASH_REMATCH[1]}"; fi
}

# create_project JSON — creates the project the following jobs go to; prints its id on stdout.
create_project() {
  request POST /api/projects "$1"
  PROJECT_ID=$(json_id id)
  if [[ $STATUS != 201 || -z $PROJECT_ID ]]; then
    log "creating a project failed (HTTP $STATUS): $BODY"
    exit 1
  fi
  printf '%s\\n' "$PROJECT_ID"
  log "project $PROJECT_ID created"
}

# wait_job JOB_ID — polls the job until it has ended, then records which step each task made
# (TASK_STEP["provider:variant:attempt"]). Task fields come in the API's documented order.
wait_job() {
  local job=$1 deadline=$((SECONDS + JOB_TIMEOUT)) rest
  local done_re='"finishedAt":[0-9]'
  local task_re='\\{"provider":"([a-z]+)","variantIndex":([0-9]+)(,"attempt":([0-9]+))?,"status":"([a-z]+)"(,"progressionId":"([A-Za-z0-9_-]+)")?'
  while :; do
    request GET "/api/jobs/$job"
    if [[ $STATUS == 200 && $BODY =~ $done_re ]]; then break; fi
    if ((SECONDS >= deadline)); then
      log "job $job did not end within $JOB_TIMEOUT s (REPLAY_JOB_TIMEOUT)"
      exit 1
    fi
    sleep 1
  done
  TASK_STEP=()
  rest=$BODY
  while [[ $rest =~ $task_re ]]; do
    if [[ -n \${BASH_REMATCH[7]} ]]; then
      TASK_STEP["\${BASH_REMATCH[1]}:\${BASH_REMATCH[2]}:\${BASH_REMATCH[4]:-0}"]=\${BASH_REMATCH[7]}
    fi
    rest=\${rest#*"\${BASH_REMATCH[0]}"}
  done
}

# submit_job N OLD_PARENT NEEDS_PARENT JSON_PREFIX — submits one job and waits for it to end. The
# body comes without its closing brace: the session and the rebuilt parent link are added here.
submit_job() {
  local n=$1 old_parent=$2 needs_parent=$3 body=$4 parent='' job
  TASK_STEP=()
  if [[ -n $old_parent ]]; then
    parent=\${NEW_ID[$old_parent]-}
    if [[ -z $parent && $needs_parent == 1 ]]; then
      log "job $n skipped: the step it starts from was not recreated"
      SKIPPED=$((SKIPPED + 1))
      return 0
    fi
    if [[ -z $parent ]]; then log "job $n: the step it continued from was not recreated; sent unlinked"; fi
  fi
  body+=",\\"sessionId\\":\\"$RUN_ID\\""
  if [[ -n $parent ]]; then body+=",\\"parentProgressionId\\":\\"$parent\\""; fi
  request POST "/api/projects/$PROJECT_ID/jobs" "$body}" "$RUN_ID-job-$n"
  job=$(json_id jobId)
  if [[ $STATUS != 202 || -z $job ]]; then
    log "job $n refused (HTTP $STATUS): $BODY"
    SKIPPED=$((SKIPPED + 1))
    return 0
  fi
  wait_job "$job"
  JOBS=$((JOBS + 1))
  log "job $n ($job) ended"
}

# remember OLD_STEP PROVIDER VARIANT ATTEMPT — the new id of a step the last job made again.
remember() {
  local made=\${TASK_STEP["$2:$3:$4"]-}
  if [[ -n $made ]]; then
    NEW_ID[$1]=$made
    IMAGES=$((IMAGES + 1))
  else
    log "step $1 ($2 #$3, attempt $4) was not made again"
  fi
}

# rollback OLD_SOURCE OLD_STEP — rolls the recreated lineage back to the source step again.
rollback() {
  local source=\${NEW_ID[$1]-} made
  if [[ -z $source ]]; then
    log "rollback to $1 skipped: that step was not recreated"
    SKIPPED=$((SKIPPED + 1))
    return 0
  fi
  request POST "/api/progressions/$source/rollback" '{}'
  made=$(json_id id)
  if [[ $STATUS != 201 || -z $made ]]; then
    log "rollback to $1 refused (HTTP $STATUS): $BODY"
    SKIPPED=$((SKIPPED + 1))
    return 0
  fi
  NEW_ID[$2]=$made
  ROLLBACKS=$((ROLLBACKS + 1))
  IMAGES=$((IMAGES + 1))
}

`;
