/**
 * The review board: the images with visitors' comments pinned on them (POST
 * /public/artifact/:slug/comments). Pins are drawn in an SVG laid over each image (attributes, not
 * inline styles, so the CSP needs nothing more); every comment is escaped; a fixed script lets a
 * visitor click an image to pin a comment there.
 */
import { type ArtifactComment, listComments } from "../../db/artifact-comments";
import { escapeHtml } from "../../lib/html";
import type { ImageSize } from "../page-images";
import { imgTag } from "../page-images";
import {
  commonValues,
  interactionPath,
  loadData,
  multiline,
  type PageData,
  projectNames,
  selectImages,
  stepAnchor,
  verdictBadge,
  withSizes,
} from "../page-kit";
import { COMMENT_SCRIPT, scriptTag } from "../page-scripts";
import type { LineageStep, ProjectData } from "../project-data";
import type { ArtifactGenerator, GenerateInput } from "../types";
import template from "./template.html";

const DEFAULT_MAX_IMAGES = 24;

/** The images on the board (the comments route accepts a progressionId only from these). */
export const boardImages = (data: ProjectData, input: GenerateInput): LineageStep[] =>
  selectImages(data, input, { defaultMax: DEFAULT_MAX_IMAGES, includeFailed: true });

const when = (ms: number): string => `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;

function commentItem(c: ArtifactComment, pin: number | null): string {
  const number = pin !== null ? `<span class="pin-no">${pin}</span> ` : "";
  return `<li id="comment-${escapeHtml(c.id)}"><p class="who">${number}<strong>${escapeHtml(c.author ?? "Anonymous")}</strong> · <time datetime="${escapeHtml(new Date(c.createdAt).toISOString())}">${escapeHtml(when(c.createdAt))}</time></p><p class="text">${multiline(c.text)}</p></li>`;
}

/** Numbered pins over an image, in its own coordinate space so they land where they were put. */
function pins(comments: ArtifactComment[], size: ImageSize | undefined): string {
  const pinned = comments.filter((c) => c.x !== null && c.y !== null);
  if (pinned.length === 0) return "";
  const w = size?.width ?? 1000;
  const h = size?.height ?? 1000;
  const r = Math.max(6, Math.round(Math.min(w, h) * 0.035));
  const marks = pinned.map((c, i) => {
    const cx = Math.round((c.x ?? 0) * w);
    const cy = Math.round((c.y ?? 0) * h);
    return `<a href="#comment-${escapeHtml(c.id)}"><circle cx="${cx}" cy="${cy}" r="${r}"/><text x="${cx}" y="${cy}" dy="0.35em" font-size="${Math.round(r * 1.1)}">${i + 1}</text></a>`;
  });
  return `<svg class="pins" viewBox="0 0 ${w} ${h}" aria-hidden="true">${marks.join("")}</svg>`;
}

function boardItem(
  s: LineageStep,
  comments: ArtifactComment[],
  data: PageData,
  input: GenerateInput,
  index: number,
): string {
  const p = s.progression;
  const size = data.sizes.get(p.id);
  const img = imgTag(input.origin, p, size, {
    alt: p.prompt,
    sizes: "(max-width: 48rem) 100vw, 40rem",
    fallbackWidth: 960,
    eager: index < 2,
    data: { "board-image": p.id, label: `step ${s.step}` },
  });
  let pinNumber = 0;
  const thread = comments
    .map((c) => commentItem(c, c.x !== null && c.y !== null ? ++pinNumber : null))
    .join("");
  return `<article class="item" id="${stepAnchor(s.step)}">
  <div class="canvas">${img}${pins(comments, size)}</div>
  <div class="side">
    <p class="meta"><strong>Step ${s.step}</strong> · ${escapeHtml(p.provider)} ${verdictBadge(p.judgment)}</p>
    <p class="prompt">${escapeHtml(p.prompt)}</p>
    ${thread ? `<ol class="thread">${thread}</ol>` : '<p class="quiet">No comments yet.</p>'}
  </div>
</article>`;
}

function form(images: LineageStep[], input: GenerateInput): string {
  const options = images
    .map((s) => {
      const prompt = Array.from(s.progression.prompt).slice(0, 60).join("");
      return `<option value="${escapeHtml(s.progression.id)}">Step ${s.step}: ${escapeHtml(prompt)}</option>`;
    })
    .join("");
  return `<form class="comment-form" data-comment-form hidden>
  <h2>Add a comment</h2>
  <p class="quiet">Click an image to pin your comment to that spot, or pick the image below.</p>
  <p data-pinned class="quiet"></p>
  <label>Image <select name="progressionId"><option value="">The whole board</option>${options}</select></label>
  <label>Comment <textarea name="text" required maxlength="2000" rows="4"></textarea></label>
  <label>Your name (optional) <input name="author" maxlength="80" autocomplete="name"></label>
  <button type="submit">Post comment</button>
  <p data-comment-status role="status" class="status"></p>
</form>
<noscript><p class="quiet">Comments are posted to <code>POST ${escapeHtml(interactionPath(input, "comments"))}</code> with <code>{ "text": "…" }</code>.</p></noscript>`;
}

export const reviewBoardGenerator: ArtifactGenerator = {
  id: "review-board",
  name: "Review board",
  output: "html",
  description: "The images with comments visitors pin on them (POST /public/artifact/:slug/comments).",
  defaultTemplate: template,
  publicPath: "/public/artifact",
  async generate(input) {
    const project = await loadData(input);
    const images = boardImages(project, input);
    const [data, comments] = await Promise.all([
      withSizes(input, project, images),
      listComments(input.env.DB, input.artifact.id),
    ]);
    const onImage = new Set(images.map((s) => s.progression.id));
    const general = comments.filter((c) => c.progressionId === null || !onImage.has(c.progressionId));
    const items = images.map((s, i) =>
      boardItem(
        s,
        comments.filter((c) => c.progressionId === s.progression.id),
        data,
        input,
        i,
      ),
    );
    return {
      values: {
        ...commonValues(input, data, {
          fallbackDescription: `Review ${projectNames(data)} and leave comments on the images`,
          cover: images[0],
          imageCount: images.length,
        }),
        COMMENT_COUNT: String(comments.length),
        BOARD: { html: items.length > 0 ? items.join("\n") : '<p class="quiet">No images yet.</p>' },
        GENERAL_COMMENTS: {
          html:
            general.length > 0
              ? `<ol class="thread">${general.map((c) => commentItem(c, null)).join("")}</ol>`
              : '<p class="quiet">No comments on the board as a whole yet.</p>',
        },
        COMMENT_FORM: { html: form(images, input) },
        SCRIPT: scriptTag(COMMENT_SCRIPT),
      },
    };
  },
};
