/** Typed access to the session actor: the only way the Worker, routes and agents talk to it. */
import type { PicassoDurableObject, PublishResult } from "../durable-objects/picasso.do";
import type { TakeResult } from "../durable-objects/token-bucket";
import type { AppEnv } from "./env";
import type { PublishEvent } from "./ws-events";

/** The actor that owns a session's sockets and event log. */
export function sessionActor(env: AppEnv, sessionId: string): DurableObjectStub<PicassoDurableObject> {
  return env.PICASSO_DO.get(env.PICASSO_DO.idFromName(sessionId));
}

/** The actor holding one client IP's rate-limit bucket (`ip:` cannot collide with a sessionId). */
export function ipBucketActor(env: AppEnv, ip: string): DurableObjectStub<PicassoDurableObject> {
  return env.PICASSO_DO.get(env.PICASSO_DO.idFromName(`ip:${ip}`));
}

/** Publishes one event to a session; the actor validates it, numbers it and fans it out. */
export async function publishEvent(
  env: AppEnv,
  sessionId: string,
  event: PublishEvent,
): Promise<PublishResult> {
  return sessionActor(env, sessionId).publish(sessionId, event);
}

/**
 * Publishes several events in order (all validated first; one invalid refuses the batch). With
 * `watchJob`, the actor also starts watching that job until it ends (see src/jobs/recover.ts).
 */
export async function publishEventBatch(
  env: AppEnv,
  sessionId: string,
  events: PublishEvent[],
  options: { watchJob?: string } = {},
): Promise<PublishResult> {
  return sessionActor(env, sessionId).publishAll(sessionId, events, options);
}

/** Ends the stream of cancelled tasks: publishes `events`, then drops anything later for `tasks`. */
export async function closeTasks(
  env: AppEnv,
  sessionId: string,
  jobId: string,
  tasks: { provider: string; variantIndex: number }[],
  events: PublishEvent[],
): Promise<PublishResult> {
  return sessionActor(env, sessionId).closeTasks(sessionId, jobId, tasks, events);
}

/** Takes `cost` tokens from a client IP's bucket. */
export async function takeRateToken(env: AppEnv, ip: string, cost = 1): Promise<TakeResult> {
  return ipBucketActor(env, ip).take(cost);
}
