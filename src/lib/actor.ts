/** Typed access to the session actor: the only way the Worker, routes and agents talk to it. */
import type { PicassoDurableObject, PublishResult } from "../durable-objects/picasso.do";
import type { TakeResult } from "../durable-objects/token-bucket";
import type { AppEnv } from "./env";
import type { PublishEvent } from "./ws-events";

/**
 * A session is addressed by its owner and the sessionId the client chose: two owners using the same
 * sessionId get two actors, so neither ever sees the other's events. A Job is a SessionAddress.
 */
export interface SessionAddress {
  ownerId: string;
  sessionId: string;
}

/** The actor's name: `:` cannot occur in a sessionId or an owner id, so names never collide. */
export const actorName = (session: SessionAddress): string =>
  `session:${session.ownerId}:${session.sessionId}`;

/** The actor that owns a session's sockets and event log. */
export function sessionActor(env: AppEnv, session: SessionAddress): DurableObjectStub<PicassoDurableObject> {
  return env.PICASSO_DO.get(env.PICASSO_DO.idFromName(actorName(session)));
}

/** The actor holding one client IP's rate-limit bucket (`ip:` cannot collide with a sessionId). */
export function ipBucketActor(env: AppEnv, ip: string): DurableObjectStub<PicassoDurableObject> {
  return env.PICASSO_DO.get(env.PICASSO_DO.idFromName(`ip:${ip}`));
}

/** Publishes one event to a session; the actor validates it, numbers it and fans it out. */
export async function publishEvent(
  env: AppEnv,
  session: SessionAddress,
  event: PublishEvent,
): Promise<PublishResult> {
  return sessionActor(env, session).publish(session.sessionId, event);
}

/**
 * Publishes several events in order (all validated first; one invalid refuses the batch). With
 * `watchJob`, the actor also starts watching that job until it ends (see src/jobs/recover.ts).
 */
export async function publishEventBatch(
  env: AppEnv,
  session: SessionAddress,
  events: PublishEvent[],
  options: { watchJob?: string } = {},
): Promise<PublishResult> {
  return sessionActor(env, session).publishAll(session.sessionId, events, options);
}

/** Ends the stream of cancelled tasks: publishes `events`, then drops anything later for `tasks`. */
export async function closeTasks(
  env: AppEnv,
  session: SessionAddress,
  jobId: string,
  tasks: { provider: string; variantIndex: number }[],
  events: PublishEvent[],
): Promise<PublishResult> {
  return sessionActor(env, session).closeTasks(session.sessionId, jobId, tasks, events);
}

/** Takes `cost` tokens from a client IP's bucket. */
export async function takeRateToken(env: AppEnv, ip: string, cost = 1): Promise<TakeResult> {
  return ipBucketActor(env, ip).take(cost);
}
