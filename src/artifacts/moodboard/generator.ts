/**
 * The moodboard: a collage of the best images with palette swatches computed from the images' own
 * pixels (dominant colours as hex), per image and for the whole board. "Best": passing images ranked
 * by how vivid and contrasted the judge measured them (newest first where it measured nothing).
 */
import { z } from "zod";
import { escapeHtml } from "../../lib/html";
import { createLogger, describeError } from "../../lib/logging";
import { mapBounded, retrying } from "../bounded";
import { imgTag } from "../page-images";
import {
  commonValues,
  isRollback,
  loadData,
  newestFirst,
  type PageData,
  projectNames,
  withSizes,
} from "../page-kit";
import type { LineageStep } from "../project-data";
import type { ArtifactGenerator, GenerateInput } from "../types";
import { combinePalettes, imagePalette, type Swatch } from "./palette";
import template from "./template.html";

const DEFAULT_MAX_IMAGES = 12;
const HEX = /^#[0-9a-f]{6}$/;

const StatsSchema = z.object({
  stats: z.object({ contrast: z.number(), colourfulness: z.number() }),
});

/** Vividness + contrast as the judge measured them; null when it did not. */
function score(s: LineageStep): number | null {
  const parsed = StatsSchema.safeParse(s.progression.judgeMeta);
  return parsed.success ? parsed.data.stats.colourfulness + parsed.data.stats.contrast : null;
}

function best(steps: LineageStep[], input: GenerateInput): LineageStep[] {
  const candidates = steps.filter(
    (s) => !isRollback(s) && (input.options.includeFailed || s.progression.judgment === "pass"),
  );
  return candidates
    .sort((a, b) => (score(b) ?? -1) - (score(a) ?? -1) || newestFirst(a, b))
    .slice(0, input.options.maxImages ?? DEFAULT_MAX_IMAGES);
}

/** A colour chip as inline SVG: a presentation attribute, so no style attribute the CSP would block. */
function chip(s: Swatch, label: boolean): string {
  const hex = HEX.test(s.hex) ? s.hex : "#000000";
  const percent = `${Math.round(s.share * 100)}%`;
  const svg = `<svg class="chip" viewBox="0 0 1 1" role="img" aria-label="${hex}, ${percent}"><title>${hex} · ${percent}</title><rect width="1" height="1" fill="${hex}"/></svg>`;
  return label ? `<li>${svg}<code>${hex}</code><span>${percent}</span></li>` : `<li>${svg}</li>`;
}

function tile(
  s: LineageStep,
  data: PageData,
  input: GenerateInput,
  palette: Swatch[],
  index: number,
): string {
  const p = s.progression;
  // A repeating rhythm of large and wide tiles; the grid's dense flow fills the gaps.
  const shape = index % 7 === 0 ? " big" : index % 4 === 3 ? " wide" : "";
  const img = imgTag(input.origin, p, data.sizes.get(p.id), {
    alt: p.prompt,
    sizes: shape === " big" ? "(max-width: 40rem) 100vw, 36rem" : "(max-width: 40rem) 50vw, 18rem",
    fallbackWidth: shape === " big" ? 960 : 640,
    eager: index < 6,
  });
  const swatches =
    palette.length > 0 ? `<ul class="swatches">${palette.map((c) => chip(c, false)).join("")}</ul>` : "";
  return `<figure class="tile${shape}">${img}<figcaption><p>${escapeHtml(p.prompt)}</p>${swatches}</figcaption></figure>`;
}

export const moodboardGenerator: ArtifactGenerator = {
  id: "moodboard",
  name: "Moodboard",
  output: "html",
  description: "A collage of the best images with palette swatches computed from the images themselves.",
  defaultTemplate: template,
  publicPath: "/public/artifact",
  async generate(input) {
    const project = await loadData(input);
    const images = best(project.steps, input);
    const data = await withSizes(input, project, images);
    const logger = createLogger({ component: "moodboard", artifactId: input.artifact.id });
    const palettes = await mapBounded(images, 3, async (s) => {
      try {
        return (await retrying(() => imagePalette(input.env, s.progression.originalImageR2Key))) ?? [];
      } catch (err) {
        // One unreadable image loses its swatches, not the whole board.
        logger.warn("moodboard.palette_failed", { progressionId: s.progression.id, ...describeError(err) });
        return [];
      }
    });
    const board = combinePalettes(palettes.filter((p) => p.length > 0));
    const tiles = images.map((s, i) => tile(s, data, input, palettes[i] ?? [], i));
    return {
      values: {
        ...commonValues(input, data, {
          fallbackDescription: `The mood of ${projectNames(data)}`,
          cover: images[0],
          imageCount: images.length,
        }),
        PALETTE: {
          html:
            board.length > 0
              ? `<ul class="palette">${board.map((c) => chip(c, true)).join("")}</ul>`
              : '<p class="empty">No colours yet.</p>',
        },
        COLLAGE: {
          html: tiles.length > 0 ? tiles.join("\n") : '<p class="empty">No images yet.</p>',
        },
      },
    };
  },
};
