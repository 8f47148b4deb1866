/**
 * PicassoDurableObject: the session actor. One instance per sessionId owns that session's WebSocket
 * clients and its replayable event log; instances named `ip:<address>` hold a client's rate-limit
 * bucket. Nobody mutates it from outside: publishers send it messages (RPC `publish`, or
 * `POST /_actor/:sessionId` on this fetch handler) and it fans them out.
 *
 * Built on DurableObject directly rather than the Agents SDK's Agent: the wire format is ours
 * (Agent sends its own protocol frames), and we need the hibernation API with an auto-response
 * heartbeat and a tiny fetch handler, which a plain DurableObject gives without extra layers.
 */
import { DurableObject } from "cloudflare:workers";
import type { z } from "zod";
import { reconcileJob } from "../jobs/recover";
import type { AppEnv } from "../lib/env";
import { ERROR_STATUS, type ErrorCode } from "../lib/errors";
import { newId } from "../lib/ids";
import { createLogger } from "../lib/logging";
import { intVar } from "../lib/vars";
import { type ParsedEvent, PublishEventSchema, SessionIdSchema, SinceSchema } from "../lib/ws-events";
import { PASS_INTERVAL_MS, runMaintenance } from "../maintenance/run";
import { ClosedTasks, type TaskRef } from "./closed-tasks";
import { EVENTS_KEPT, EventLog } from "./event-log";
import { bucketConfig, type TakeResult, TokenBucket } from "./token-bucket";
import { WATCH_INTERVAL_MS, WatchedJobs } from "./watched-jobs";

/** Inbound frames are only heartbeats; anything bigger than this closes the socket. */
export const MAX_INBOUND_FRAME_BYTES = 4096;

/** Over the cap in UTF-8 bytes, as on the wire (a string's length counts UTF-16 units, 1..3 bytes each). */
function frameTooLarge(message: string | ArrayBuffer): boolean {
  if (typeof message !== "string") return message.byteLength > MAX_INBOUND_FRAME_BYTES;
  if (message.length > MAX_INBOUND_FRAME_BYTES) return true;
  // Encode only when the length alone cannot decide.
  if (message.length * 3 <= MAX_INBOUND_FRAME_BYTES) return false;
  return new TextEncoder().encode(message).byteLength > MAX_INBOUND_FRAME_BYTES;
}

/** How long after an event the log is pruned (one alarm covers a burst of events). */
const PRUNE_DELAY_MS = 10_000;

export type PublishResult =
  | { ok: true; seq: number }
  | { ok: false; message: string; details: { path: (string | number)[]; message: string }[] };

/** Storage key that marks the maintenance actor. */
const MAINTENANCE_ROLE = "role:maintenance";

/** Sockets one session accepts at once (STREAM_MAX_SOCKETS); past it a socket is closed with 1013. */
export const MAX_SOCKETS = 1000;

interface SocketAttachment {
  sessionId: string;
  connectedAt: number;
}

const log = createLogger({ module: "PicassoDurableObject" });

/** A job watched here always belongs to this session; anything else is refused, not published. */
const noSink: PublishResult = { ok: false, message: "job belongs to another session", details: [] };

function invalidEvent(error: z.ZodError, prefix: (string | number)[]): PublishResult {
  const details = error.issues.map((i) => ({
    path: [...prefix, ...i.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
    message: i.message,
  }));
  const first = details[0];
  const message = first ? `${first.path.join(".") || "event"}: ${first.message}` : "Invalid event";
  return { ok: false, message, details };
}

function parseEvents(
  events: unknown[],
): { ok: true; events: ParsedEvent[] } | Extract<PublishResult, { ok: false }> {
  const parsed: ParsedEvent[] = [];
  for (const [index, event] of events.entries()) {
    const result = PublishEventSchema.safeParse(event);
    if (!result.success)
      return invalidEvent(result.error, events.length > 1 ? [index] : []) as Extract<
        PublishResult,
        { ok: false }
      >;
    parsed.push(result.data);
  }
  return { ok: true, events: parsed };
}

function jsonError(code: ErrorCode, message: string, details: unknown[] = [], requestId = newId()): Response {
  return Response.json({ error: { code, message, details, requestId } }, { status: ERROR_STATUS[code] });
}

export class PicassoDurableObject extends DurableObject<AppEnv> {
  private readonly events: EventLog;
  private readonly bucket: TokenBucket;
  private readonly closed: ClosedTasks;
  private readonly watched: WatchedJobs;
  /** In-memory only to skip a storage read per event; after hibernation the alarm is re-checked. */
  private pruneScheduled = false;

  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    this.events = new EventLog(ctx.storage.sql);
    this.bucket = new TokenBucket(ctx.storage.sql, bucketConfig(env));
    this.closed = new ClosedTasks(ctx.storage.sql);
    this.watched = new WatchedJobs(ctx.storage.sql);
    // Heartbeats are answered by the runtime without waking a hibernated actor.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /** `POST /_actor/:sessionId` publishes; `GET /connect/:sessionId?since=` with Upgrade subscribes. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const [, action, rawSession, extra] = url.pathname.split("/");
    const session = SessionIdSchema.safeParse(rawSession ? decodeURIComponent(rawSession) : "");
    const requestId = request.headers.get("x-request-id") ?? newId();
    if (extra !== undefined || !session.success) return jsonError("not_found", "Not found", [], requestId);

    if (action === "_actor" && request.method === "POST") {
      let body: unknown;
      try {
        body = await request.json();
      } catch {
        return jsonError("invalid_request", "Malformed JSON in request body", [], requestId);
      }
      const result = await this.publish(session.data, body);
      if (!result.ok) return jsonError("invalid_request", result.message, result.details, requestId);
      return Response.json({ seq: result.seq }, { status: 202 });
    }

    if (action === "connect" && request.method === "GET") {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return jsonError("upgrade_required", "Expected Upgrade: websocket", [], requestId);
      }
      const since = SinceSchema.safeParse(url.searchParams.get("since") ?? undefined);
      if (!since.success)
        return jsonError("invalid_request", "since: must be a non-negative integer", [], requestId);
      return this.subscribe(
        session.data,
        since.data ?? null,
        intVar(this.env.STREAM_MAX_SOCKETS, MAX_SOCKETS),
      );
    }

    return jsonError("not_found", "Not found", [], requestId);
  }

  /**
   * Accepts a subscriber and replays stored events after `since`. Everything from accept to the last
   * replayed frame is synchronous, so no event can be published in between: the seam has neither a
   * gap nor a duplicate, and later events reach this socket through the normal broadcast.
   */
  private subscribe(sessionId: string, since: number | null, maxSockets: number): Response {
    const { 0: client, 1: server } = new WebSocketPair();
    if (this.ctx.getWebSockets().length >= maxSockets) {
      // Past the cap: the socket opens and is closed at once with a code a client can act on.
      server.accept();
      server.close(1013, `this session already has ${maxSockets} sockets: try again later`);
      return new Response(null, { status: 101, webSocket: client });
    }
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ sessionId, connectedAt: Date.now() } satisfies SocketAttachment);
    if (since !== null) {
      for (const frame of this.events.framesAfter(sessionId, since)) server.send(frame);
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  /** RPC: validates an event, stores it under the next seq, then broadcasts it. */
  async publish(sessionId: string, event: unknown): Promise<PublishResult> {
    return this.publishAll(sessionId, [event]);
  }

  /**
   * RPC: publishes several events in order. All are validated first, so an invalid one refuses the
   * whole batch and nothing is stored. Events of a task closed by a cancellation are dropped (they
   * would contradict its `fail`). `seq` is the session's last seq afterwards.
   */
  async publishAll(
    sessionId: string,
    events: unknown[],
    options: { watchJob?: string } = {},
  ): Promise<PublishResult> {
    const parsed = parseEvents(events);
    if (!parsed.ok) return parsed;
    const live = parsed.events.filter((e) => !this.closed.isClosed(e.data));
    const result = await this.appendAndBroadcast(sessionId, live);
    if (options.watchJob) {
      this.watched.watch(options.watchJob, sessionId, Date.now());
      await this.scheduleAlarm(Date.now() + WATCH_INTERVAL_MS);
    }
    return result;
  }

  /**
   * RPC: ends the stream of cancelled tasks. Publishes the cancellation's own events (their `fail`
   * events and the job-level `complete`), then closes the tasks so nothing later is streamed for them.
   */
  async closeTasks(
    sessionId: string,
    jobId: string,
    tasks: TaskRef[],
    events: unknown[],
  ): Promise<PublishResult> {
    const parsed = parseEvents(events);
    if (!parsed.ok) return parsed;
    const result = await this.appendAndBroadcast(sessionId, parsed.events);
    this.closed.close(jobId, tasks);
    return result;
  }

  /** Appends and broadcasts; an event whose id is already logged is skipped (a publisher repeating itself). */
  private async appendAndBroadcast(sessionId: string, events: ParsedEvent[]): Promise<PublishResult> {
    let seq = this.events.lastSeq();
    for (const event of events) {
      if (event.id !== undefined && this.events.has(event.id)) continue;
      const appended = this.events.append(sessionId, event.type, event.data, Date.now(), event.id);
      seq = appended.seq;
      this.broadcast(appended.frame);
    }
    if (seq > EVENTS_KEPT) await this.schedulePrune();
    return { ok: true, seq };
  }

  /**
   * RPC, for the fan-out benchmark only: broadcasts frames without storing them (the "bare hub"
   * baseline). It never touches the event log, so it cannot disturb seq numbering.
   */
  broadcastUnlogged(frames: string[]): number {
    for (const frame of frames) this.broadcast(frame);
    return this.ctx.getWebSockets().length;
  }

  /** RPC: takes `cost` tokens from this instance's bucket (instances named `ip:<address>`). */
  take(cost = 1): TakeResult {
    return this.bucket.take(cost);
  }

  /** RPC: how many subscribers and stored events this session has (health and tests). */
  stats(): { sockets: number; events: number; lastSeq: number } {
    return {
      sockets: this.ctx.getWebSockets().length,
      events: this.events.count(),
      lastSeq: this.events.lastSeq(),
    };
  }

  /**
   * RPC, development only (reached through /api/dev): evicts this actor as the platform would — every
   * socket is dropped and the in-memory object discarded; storage is kept.
   */
  evict(): void {
    this.ctx.abort("evicted on request (development)");
  }

  /**
   * RPC: makes this instance the maintenance actor (src/maintenance/actor.ts) and runs its chores
   * within `delayMs`. The role is stored, so the alarm knows it after an eviction or a restart.
   */
  async wakeMaintenance(delayMs = 0): Promise<void> {
    if (!(await this.ctx.storage.get<boolean>(MAINTENANCE_ROLE)))
      await this.ctx.storage.put(MAINTENANCE_ROLE, true);
    await this.scheduleAlarm(Date.now() + Math.max(0, delayMs));
  }

  /** One alarm serves both chores: pruning the log and reconciling watched jobs (or, for the maintenance actor, its chores). */
  override async alarm(): Promise<void> {
    if (await this.ctx.storage.get<boolean>(MAINTENANCE_ROLE)) {
      let next = Date.now() + PASS_INTERVAL_MS;
      try {
        next = await runMaintenance(this.env, Date.now());
      } catch (err) {
        log.warn("maintenance.failed", { error: err instanceof Error ? err.message : String(err) });
      }
      await this.ctx.storage.setAlarm(next);
      return;
    }
    this.pruneScheduled = false;
    const removed = this.events.prune();
    if (removed > 0) log.info("events.pruned", { removed, kept: this.events.count() });
    for (const { jobId, sessionId } of this.watched.list()) {
      try {
        const outcome = await reconcileJob(this.env, jobId, Date.now(), (session, job, tasks, events) =>
          session.sessionId === sessionId
            ? this.closeTasks(session.sessionId, job, tasks, events)
            : Promise.resolve(noSink),
        );
        if (outcome === "finished" || outcome === "ended") this.watched.unwatch(jobId);
      } catch (err) {
        // Looked at again on the next alarm; one job's trouble never stops the others.
        log.warn("jobs.reconcile_failed", { jobId, error: err instanceof Error ? err.message : String(err) });
      }
    }
    if (this.watched.count() > 0) await this.ctx.storage.setAlarm(Date.now() + WATCH_INTERVAL_MS);
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    if (frameTooLarge(message)) {
      this.drop(ws, 1009, "frame too large");
      return;
    }
    // "ping" never arrives here (auto-response); other small frames are ignored: the stream is one-way.
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): void {
    this.drop(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
  }

  override webSocketError(ws: WebSocket): void {
    this.drop(ws, 1011, "socket error");
  }

  private broadcast(frame: string): void {
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(frame);
      } catch {
        // A socket that cannot take a frame is dead: drop it rather than fail the publish.
        this.drop(ws, 1011, "send failed");
      }
    }
  }

  /** The one cleanup for close, error and dead sockets: close our side (idempotent). */
  private drop(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code, reason.slice(0, 120));
    } catch {
      // already closed: nothing left to release
    }
  }

  private async schedulePrune(): Promise<void> {
    if (this.pruneScheduled) return;
    this.pruneScheduled = true;
    await this.scheduleAlarm(Date.now() + PRUNE_DELAY_MS);
  }

  /** Sets the alarm to `at` unless one is already due sooner. */
  private async scheduleAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
