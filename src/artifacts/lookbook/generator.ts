/** The lookbook: a responsive gallery of the selected projects' judged images, with OG/Twitter tags. */
import { escapeHtml } from "../../lib/html";
import { imgTag } from "../page-images";
import {
  commonValues,
  describeLink,
  isRollback,
  loadData,
  newestFirst,
  type PageData,
  projectNames,
  rollbackCard,
  stepAnchor,
  verdictBadge,
  withSizes,
} from "../page-kit";
import type { LineageStep } from "../project-data";
import type { ArtifactGenerator, GenerateInput } from "../types";
import template from "./template.html";

const DEFAULT_MAX_IMAGES = 60;
/** Cards above the fold load eagerly; the rest when scrolled to. */
const EAGER = 6;

function figure(s: LineageStep, data: PageData, input: GenerateInput, index: number): string {
  const p = s.progression;
  const link = s.parent ? `<span>${escapeHtml(describeLink(s))}</span>` : "";
  const img = imgTag(input.origin, p, data.sizes.get(p.id), {
    alt: p.prompt,
    sizes: "(max-width: 40rem) 100vw, 24rem",
    eager: index < EAGER,
  });
  return `<figure id="${stepAnchor(s.step)}">
  ${img}
  <figcaption><p class="prompt">${escapeHtml(p.prompt)}</p><p class="info"><span>Step ${s.step}</span><span>${escapeHtml(p.provider)}</span>${verdictBadge(p.judgment)}${link}</p></figcaption>
</figure>`;
}

/**
 * Newest first: the images that pass (or all with `includeFailed`), and each rollback among them as
 * a card naming the step it went back to, not as a second copy of that image.
 */
function cards(data: PageData, input: GenerateInput, chosen: LineageStep[], images: LineageStep[]): string[] {
  const shown = new Set(images.map((s) => s.step));
  const oldestShown = images.at(-1)?.progression.createdAt ?? Number.POSITIVE_INFINITY;
  const html: string[] = [];
  let index = 0;
  for (const s of chosen) {
    if (isRollback(s)) {
      // Within the span of the images shown; older ones went below the cut with their images.
      if (s.progression.createdAt >= oldestShown) html.push(rollbackCard(s, shown));
    } else if (shown.has(s.step)) html.push(figure(s, data, input, index++));
  }
  return html;
}

export const lookbookGenerator: ArtifactGenerator = {
  id: "lookbook",
  name: "Lookbook",
  output: "html",
  description:
    "A responsive public gallery of the projects' passing images with captions and social previews.",
  defaultTemplate: template,
  publicPath: "/public/lookbook",
  async generate(input) {
    const project = await loadData(input);
    const max = input.options.maxImages ?? DEFAULT_MAX_IMAGES;
    const wanted = (s: LineageStep) => input.options.includeFailed || s.progression.judgment === "pass";
    const chosen = project.steps.filter(wanted).sort(newestFirst);
    const images = chosen.filter((s) => !isRollback(s)).slice(0, max);
    const data = await withSizes(input, project, images);
    const html = cards(data, input, chosen, images);
    return {
      values: {
        ...commonValues(input, data, {
          fallbackDescription: `A lookbook of ${projectNames(data)}`,
          cover: images[0],
          imageCount: images.length,
        }),
        GALLERY: { html: html.length > 0 ? html.join("\n") : '<p class="empty">No images yet.</p>' },
      },
    };
  },
};
