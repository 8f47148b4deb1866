/**
 * The view-log queue message: one public page view, sent without delaying the response, at most
 * once per visitor, artifact and UTC day (src/views/count-view.ts).
 */
import { z } from "zod";

export const ViewMessageSchema = z.object({
  kind: z.literal("artifact-view"),
  id: z.string().min(1).max(64),
  artifactId: z.string().min(1).max(64),
  ts: z.number().int().positive(),
  ip: z.string().max(64).nullable(),
  country: z.string().max(8).nullable(),
  city: z.string().max(128).nullable(),
  userAgent: z.string().max(512).nullable(),
  /**
   * The salted visitor hash of the view's UTC day (src/views/visitor.ts): the consumer writes one row
   * per (artifact, visitor, day). Absent in messages sent before it existed: each is one row.
   */
  visitor: z.string().min(1).max(64).nullable().optional(),
});
export type ViewMessage = z.infer<typeof ViewMessageSchema>;

/** `/health` sends this to prove the queue accepts messages; the consumer acknowledges it unread. */
export const HEALTH_PROBE_KIND = "health-probe";
export const HealthProbeSchema = z.object({ kind: z.literal(HEALTH_PROBE_KIND), ts: z.number() });
