/**
 * The storyboard: the projects' lineage as ordered frames (parents before children), each captioned
 * with its prompt, provider and verdict and with what changed from its parent: a continue (and the
 * prompt change), a judge-driven retry (and the suggestion it applied) or a rollback, which is shown
 * as a frame that names the step it went back to rather than the same image again.
 */
import { escapeHtml } from "../../lib/html";
import { imgTag } from "../page-images";
import {
  commonValues,
  describeLink,
  isRollback,
  loadData,
  type PageData,
  projectNames,
  promptChange,
  rollbackCard,
  stepAnchor,
  verdictBadge,
  withSizes,
} from "../page-kit";
import type { LineageStep } from "../project-data";
import type { ArtifactGenerator, GenerateInput } from "../types";
import template from "./template.html";

const DEFAULT_MAX_FRAMES = 100;
const EAGER = 4;

/** What changed from the parent, as HTML (every value escaped). */
function change(s: LineageStep, data: PageData): string {
  const parts = [`<p class="link">${escapeHtml(describeLink(s))}</p>`];
  const prompt = promptChange(s, data);
  if (prompt) {
    parts.push(
      `<p class="diff"><del>${escapeHtml(prompt.from)}</del> <span aria-hidden="true">→</span> <ins>${escapeHtml(prompt.to)}</ins></p>`,
    );
  }
  const parent = s.parent ? data.stepById.get(s.parent.id) : undefined;
  if (s.parent?.kind === "retry" && parent?.judge.retrySuggestion) {
    parts.push(`<p class="why">The judge asked: ${escapeHtml(parent.judge.retrySuggestion)}</p>`);
  }
  if (parent && parent.progression.provider !== s.progression.provider) {
    parts.push(
      `<p class="why">Provider: ${escapeHtml(parent.progression.provider)} → ${escapeHtml(s.progression.provider)}</p>`,
    );
  }
  return parts.join("");
}

function frame(s: LineageStep, data: PageData, input: GenerateInput, index: number): string {
  const p = s.progression;
  const img = imgTag(input.origin, p, data.sizes.get(p.id), {
    alt: p.prompt,
    sizes: "(max-width: 48rem) 100vw, 22rem",
    eager: index < EAGER,
  });
  const model = s.provider.model ? ` · ${escapeHtml(s.provider.model)}` : "";
  return `<li class="frame" id="${stepAnchor(s.step)}">
  <div class="shot">${img}</div>
  <div class="caption">
    <p class="meta"><span class="step">Step ${s.step}</span> <span>${escapeHtml(p.provider)}${model}</span> ${verdictBadge(p.judgment)}</p>
    <p class="prompt">${escapeHtml(p.prompt)}</p>
    ${change(s, data)}
  </div>
</li>`;
}

export const storyboardGenerator: ArtifactGenerator = {
  id: "storyboard",
  name: "Storyboard",
  output: "html",
  description:
    "The projects' lineage as ordered frames, parents before children, with what changed at each step.",
  defaultTemplate: template,
  publicPath: "/public/artifact",
  async generate(input) {
    const project = await loadData(input);
    // Failed steps stay in: a retry's story starts with the image the judge failed.
    const steps = project.steps.slice(0, input.options.maxImages ?? DEFAULT_MAX_FRAMES);
    const images = steps.filter((s) => !isRollback(s));
    const data = await withSizes(input, project, images);
    const shown = new Set(steps.map((s) => s.step));
    let index = 0;
    const frames = steps.map((s) =>
      isRollback(s)
        ? `<li class="frame rollback-frame">${rollbackCard(s, shown)}</li>`
        : frame(s, data, input, index++),
    );
    return {
      values: {
        ...commonValues(input, data, {
          fallbackDescription: `The story of ${projectNames(data)}, step by step`,
          cover: images[0],
          imageCount: images.length,
        }),
        FRAME_COUNT: String(steps.length),
        FRAMES: {
          html: frames.length > 0 ? frames.join("\n") : '<li class="empty">No steps yet.</li>',
        },
      },
    };
  },
};
