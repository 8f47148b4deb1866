/**
 * Deleting a project. The request (`requestProjectDeletion`) does what must be true at once: the
 * project and everything reached through it answer 404, its own public pages are unpublished and
 * purged from the cache, its running jobs are cancelled, and a `deletions` row records the work.
 * The maintenance actor's alarm (src/maintenance/) then runs passes (`continueDeletion`) until one
 * finds nothing left: R2 objects (originals, start images, renditions, rendered pages), hosted
 * Images, agent memories and D1 rows. Every pass is idempotent, so a crash mid-way (kill -9) only
 * means the next alarm — which survives the restart — does the rest; repeating the DELETE is the
 * same deletion.
 */

import { purgePublicPages } from "../artifacts/public-cache";
import { rerenderArtifact } from "../artifacts/service";
import { getArtifact } from "../db/artifacts";
import { cancelJobAndNotify } from "../jobs/cancel";
import type { AppEnv } from "../lib/env";
import { createLogger, type Logger } from "../lib/logging";
import { errorText } from "../lib/transient";
import { deleteArtifactObjects, deleteHostedImage, deleteImageObjects, deletePrefix } from "./objects";
import {
  changedRows,
  type Deletion,
  getDeletion,
  imagesUsedElsewhere,
  ownedProjectState,
  projectArtifacts,
  projectImages,
  projectJobActivity,
  projectRowStatements,
  recordPass,
  startDeletionStatements,
  touchDeletion,
} from "./store";

/** A pass waits while a job's workflow instance still runs (winding down after the cancel)… */
const RUNNING = new Set(["queued", "running", "waiting", "paused", "waitingForPause"]);
/** …but never longer than this after the request: an instance that never stops must not block deletion. */
const MAX_WAIT_MS = 120_000;

/** Whether any of these jobs' workflow instances is still running (unknown ones are not). */
async function anyWorkflowRunning(env: AppEnv, jobIds: string[]): Promise<boolean> {
  for (const id of jobIds) {
    const status = await env.PICASSO_WORKFLOW.get(id)
      .then((instance) => instance.status())
      .then((s) => s.status as string)
      .catch(() => "missing");
    if (RUNNING.has(status)) return true;
  }
  return false;
}

const log = createLogger({ module: "deletion" });

/** Accepts a deletion (see the module comment). Null when the project is not the owner's. */
export async function requestProjectDeletion(
  env: AppEnv,
  ownerId: string,
  projectId: string,
  origin: string,
  requestLog: Logger,
): Promise<Deletion | null> {
  const state = await ownedProjectState(env.DB, ownerId, projectId);
  if (!state) return getDeletion(env.DB, projectId, ownerId);
  const artifacts = await projectArtifacts(env.DB, projectId);
  const own = artifacts.filter((a) => !a.shared);
  const now = Date.now();
  await env.DB.batch(
    startDeletionStatements(
      env.DB,
      { id: projectId, ownerId, projectId, origin },
      own.map((a) => a.id),
      now,
    ),
  );
  await Promise.all(own.map((a) => purgePublicPages(origin, a.publicSlug)));
  // Its running jobs end first: their tasks stop streaming, and the passes wait for them to wind down.
  const { unfinished } = await projectJobActivity(env.DB, projectId);
  for (const jobId of unfinished) {
    await cancelJobAndNotify(env, jobId, requestLog).catch((err: unknown) =>
      requestLog.warn("deletion.cancel_failed", { jobId, error: errorText(err) }),
    );
  }
  requestLog.info("deletion.accepted", { projectId, cancelledJobs: unfinished.length });
  return getDeletion(env.DB, projectId, ownerId);
}

/** One pass over a deletion; "again" when another pass is needed. */
export async function continueDeletion(env: AppEnv, d: Deletion, now: number): Promise<"done" | "again"> {
  const activity = await projectJobActivity(env.DB, d.projectId, now);
  for (const jobId of activity.unfinished) await cancelJobAndNotify(env, jobId, log).catch(() => undefined);
  const busy = activity.unfinished.length > 0 || (await anyWorkflowRunning(env, activity.recent));
  if (busy && now - d.createdAt < MAX_WAIT_MS) {
    await touchDeletion(env.DB, d.id, "waiting for the project's jobs to wind down", now);
    return "again";
  }
  const artifacts = await projectArtifacts(env.DB, d.projectId);
  const ownArtifacts = artifacts.filter((a) => !a.shared);
  let objects = 0;
  let error: string | null = null;
  try {
    objects = await sweepObjects(env, d, ownArtifacts);
  } catch (err) {
    error = `objects: ${errorText(err)}`;
  }
  const own = ownArtifacts.map((a) => a.id);
  const rows = changedRows(await env.DB.batch(projectRowStatements(env.DB, d.projectId, own)));
  // Pages shared with other projects are rendered again without this project's images.
  for (const shared of artifacts.filter((a) => a.shared)) {
    const artifact = await getArtifact(env.DB, shared.id);
    if (artifact) await rerenderArtifact(env, artifact, d.origin).catch(() => undefined);
  }
  // Complete when a later pass finds nothing left (a workflow step that was still running during the
  // first pass may have written one more object).
  const complete = error === null && d.passes >= 1 && rows === 0 && objects === 0;
  await recordPass(env.DB, d.id, { rows, objects, complete, error }, now);
  log.info("deletion.pass", { projectId: d.projectId, pass: d.passes + 1, rows, objects, complete });
  return complete ? "done" : "again";
}

/** R2 objects, hosted images, artifact pages and memories of the project; returns how many went. */
async function sweepObjects(
  env: AppEnv,
  d: Deletion,
  ownArtifacts: { id: string; publicSlug: string }[],
): Promise<number> {
  let removed = 0;
  const images = await projectImages(env.DB, d.projectId);
  // One query for what another project still uses (a shared original or hosted copy stays).
  const elsewhere = await imagesUsedElsewhere(env.DB, d.projectId, images);
  for (const image of images) {
    if (!elsewhere.urls.has(image.url) && (await deleteHostedImage(env, image.url))) removed++;
    // Originals outside the project's prefix (none today) go only when nothing else uses them.
    if (!image.originalKey.startsWith(`project/${d.projectId}/`) && !elsewhere.keys.has(image.originalKey))
      removed += await deleteImageObjects(env.BUCKET, image.originalKey);
  }
  removed += await deletePrefix(env.BUCKET, `project/${d.projectId}/`);
  removed += await deletePrefix(env.BUCKET, `renditions/project/${d.projectId}/`);
  for (const artifact of ownArtifacts) removed += await deleteArtifactObjects(env, artifact, d.origin);
  return removed;
}
