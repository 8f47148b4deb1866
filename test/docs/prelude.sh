# Sourced by docs:check before the README's blocks: stop at the first failure, and make every
# curl fail on a status the README does not announce (DOCS_EXPECT is set by the checker).
set -eo pipefail
curl() {
  local expect="${DOCS_EXPECT:-}" err status
  err=$(mktemp)
  command curl -w '%{stderr}%{http_code}' "$@" 2>"$err" || { cat "$err" >&2; rm -f "$err"; return 1; }
  status=$(tail -c 3 "$err")
  rm -f "$err"
  if [[ -n "$expect" && "$status" != "$expect" ]] || [[ -z "$expect" && "$status" -ge 400 ]]; then
    echo "docs:check: curl $* answered $status (expected ${expect:-2xx/3xx})" >&2
    return 1
  fi
}
# `npm run stream` from the scratch directory the blocks run in.
npm() { command npm --prefix "$DOCS_REPO" "$@"; }
