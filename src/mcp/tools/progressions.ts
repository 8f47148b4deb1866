/**
 * Progression tools: list_progressions (GET /api/projects/:id/progressions), rollback_progression
 * (POST /api/progressions/:id/rollback) and view_progression (GET /api/progressions/:id, then a
 * small PNG from GET /images/:id), which lets the assistant look at what it made.
 */
import { z } from "zod";
import { toBase64 } from "../../adapters/shared";
import { IdSchema } from "../../schemas/common";
import { ProgressionListSchema, ProgressionQuerySchema, ProgressionSchema } from "../../schemas/progressions";
import { fromOutcome, toolFailure, toolSuccess } from "../results";
import { defineTool } from "../tool";

const filters = ProgressionQuerySchema.shape;
const clip = (text: string, max = 80) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

const ListInput = z.object({
  projectId: IdSchema.describe("The project whose progressions to list"),
  query: filters.query.describe("Case-insensitive substring of the prompt or the judge's notes"),
  tags: z
    .array(z.string().min(1))
    .optional()
    .describe("Only progressions that carry every one of these tags"),
  judgment: filters.judgment.describe("Only images the judge passed or failed"),
  provider: filters.provider.describe("Only images from this provider"),
  limit: filters.limit.describe("Page size, 1..100 (default 20)"),
  cursor: filters.cursor.describe("nextCursor of the previous page"),
});

export const listProgressions = defineTool({
  name: "list_progressions",
  title: "List progressions",
  description:
    "A project's progressions (one per generated or rolled-back image), newest first, optionally filtered. Each has id, prompt, provider, judgment, aiNotes, aiTags, generatedImageUrl and its parent in the lineage.",
  input: ListInput,
  readOnly: true,
  run: async ({ projectId, tags, ...query }, api) =>
    fromOutcome(
      await api.json({
        method: "GET",
        path: `/api/projects/${encodeURIComponent(projectId)}/progressions`,
        // The route takes tags as a JSON array in the query string.
        query: { ...query, tags: tags && tags.length > 0 ? JSON.stringify(tags) : undefined },
      }),
      ProgressionListSchema,
      ({ progressions, nextCursor }) => {
        const lines = progressions.map(
          (p) => `- ${p.id} ${p.provider} ${p.judgment ?? "unjudged"}: "${clip(p.prompt)}"`,
        );
        const more = nextCursor ? `\nMore with cursor ${nextCursor}.` : "";
        return `${progressions.length} progression(s).${lines.length ? `\n${lines.join("\n")}` : ""}${more}`;
      },
    ),
});

const ProgressionIdInput = z.object({ progressionId: IdSchema.describe("A progression id") });

export const rollbackProgression = defineTool({
  name: "rollback_progression",
  title: "Roll back to a progression",
  description:
    "Make an earlier step's image the project's head again: creates a new progression whose parent is the given one and whose image is that step's image. Returns the new Progression.",
  input: ProgressionIdInput,
  run: async ({ progressionId }, api) =>
    fromOutcome(
      await api.json({
        method: "POST",
        path: `/api/progressions/${encodeURIComponent(progressionId)}/rollback`,
      }),
      ProgressionSchema,
      (head) =>
        `New head ${head.id} of project ${head.projectId}, a child of ${head.parentProgressionId} with its image.`,
    ),
});

const ViewInput = ProgressionIdInput.extend({
  size: z
    .number()
    .int()
    .min(32)
    .max(512)
    .default(256)
    .describe("The longest side of the rendition in pixels, 32..512 (default 256)"),
});

export const viewProgression = defineTool({
  name: "view_progression",
  title: "View a progression's image",
  description:
    "Look at a generated image: returns a small PNG rendition (default 256 px) as image content, with the Progression (prompt, provider, judgment, notes, tags) as structured content.",
  input: ViewInput,
  readOnly: true,
  run: async ({ progressionId, size }, api) => {
    const id = encodeURIComponent(progressionId);
    const outcome = await api.json({ method: "GET", path: `/api/progressions/${id}` });
    if (!outcome.ok) return toolFailure(outcome.envelope);
    const image = await api.fetch({
      method: "GET",
      path: `/images/${id}`,
      query: { w: size, h: size, fit: "scale-down", format: "png" },
    });
    if (!image.ok) return toolFailure(await api.failure(image));
    const data = toBase64(new Uint8Array(await image.arrayBuffer()));
    const progression = ProgressionSchema.safeParse(outcome.body);
    const about = progression.success
      ? ` from ${progression.data.provider}, judged ${progression.data.judgment ?? "not yet"}: "${clip(progression.data.prompt)}"`
      : "";
    return toolSuccess(outcome.body, `Progression ${progressionId}${about} (PNG, at most ${size} px).`, [
      { type: "image", data, mimeType: "image/png" },
    ]);
  },
});
