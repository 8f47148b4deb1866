/** Pure SVG compositions for the offline image provider: abstract art from a prompt, or over a start image. */
import { compose, n } from "./compose";
import { type Exclusions, NO_EXCLUSIONS } from "./negative";
import { createRandom } from "./seeded-random";

/** Side of a generated image in pixels. */
export const SVG_SIZE = 512;
const DATA_URI = /^data:image\/[a-z+.-]+;base64,[A-Za-z0-9+/]*={0,2}$/;

/** Side of an `upscale` result in pixels. */
export const UPSCALE_SIZE = 1024;
/** Characters (code points) per caption line: what fits the bar at the caption's font size. */
export const CAPTION_LENGTH = 40;
/** Caption lines at most; a longer prompt is shortened at a word boundary with an ellipsis. */
export const CAPTION_LINES = 2;

const XML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

/** XML-escapes text for element content and attribute values, dropping characters XML 1.0 forbids. */
export function escapeXml(text: string): string {
  let out = "";
  // for…of walks code points, so a lone surrogate arrives alone and is dropped with the controls.
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code === 0x09 || code === 0x0a || code === 0x0d) out += " ";
    else if (code < 0x20 || code === 0xfffe || code === 0xffff || (code >= 0xd800 && code <= 0xdfff))
      continue;
    else out += XML_ESCAPES[char] ?? char;
  }
  return out;
}

const ELLIPSIS = "\u2026";
const length = (text: string): number => Array.from(text).length;

/** The first `count` code points of `text`. */
const head = (text: string, count: number): string => Array.from(text).slice(0, count).join("");

/**
 * The prompt as at most `maxLines` lines of at most `maxChars` code points, broken between words.
 * When it does not fit, the last line ends with an ellipsis after its last whole word; only a single
 * word longer than a whole line is ever cut, since nothing else could show any of it.
 */
export function captionLines(prompt: string, maxChars = CAPTION_LENGTH, maxLines = CAPTION_LINES): string[] {
  const words = prompt
    .trim()
    .split(/\s+/)
    .filter((w) => w !== "");
  const lines: string[] = [];
  let i = 0;
  while (i < words.length && lines.length < maxLines) {
    let line = "";
    for (let word = words[i]; word !== undefined; word = words[i]) {
      const joined = line === "" ? word : `${line} ${word}`;
      if (length(joined) > maxChars) break;
      line = joined;
      i++;
    }
    if (line === "") {
      line = `${head(words[i] ?? "", maxChars - 1)}${ELLIPSIS}`;
      i++;
    }
    lines.push(line);
  }
  if (i < words.length) {
    // Words are left over: make room for the ellipsis by dropping whole words from the last line.
    let last = lines.pop() ?? "";
    while (length(last) + 1 > maxChars && last.includes(" ")) last = last.slice(0, last.lastIndexOf(" "));
    if (length(last) + 1 > maxChars) last = head(last, maxChars - 1);
    lines.push(`${last.replace(/[\s,;:.\u2026-]+$/u, "")}${ELLIPSIS}`);
  }
  return lines;
}

/** The prompt, wrapped at word boundaries, on a translucent bar at the bottom (scaled by the shorter side). */
function caption(prompt: string, width: number, height: number): string {
  const lines = captionLines(prompt);
  if (lines.length === 0) return "";
  const size = Math.min(width, height);
  const lineHeight = size * 0.04;
  const bar = size * 0.026 + lines.length * lineHeight;
  const font = n(size * 0.031);
  const texts = lines
    .map((line, i) => {
      const baseline = height - size * 0.022 - (lines.length - 1 - i) * lineHeight;
      return `<text x="${n(size * 0.023)}" y="${n(baseline)}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${font}" fill="#ffffff">${escapeXml(line)}</text>`;
    })
    .join("");
  return `<rect x="0" y="${n(height - bar)}" width="${width}" height="${n(bar)}" fill="#000000" fill-opacity="0.45"/>${texts}`;
}

function svg(width: number, height: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${body}</svg>`;
}

/** Size and exclusions of a composition (default: 512×512, nothing excluded, captioned). */
export interface RenderOptions {
  width?: number;
  height?: number;
  exclusions?: Exclusions;
  /** Whether the prompt's caption bar is drawn (default true; a negative prompt naming text drops it). */
  caption?: boolean;
}

/**
 * A width × height (default 512×512) abstract composition for `prompt`: a gradient and light/dark
 * masses laid out by `variety` (the variant index, or the task's seed), detail shapes drawn from a
 * PRNG seeded by (seed, variety), colours from the prompt's colour words minus the excluded ones,
 * and the prompt's start as a caption. Same inputs, byte-identical output.
 */
export function renderSvg(
  prompt: string,
  variety: number,
  seed: string,
  options: RenderOptions = {},
): string {
  const width = options.width ?? SVG_SIZE;
  const height = options.height ?? SVG_SIZE;
  const exclusions = options.exclusions ?? NO_EXCLUSIONS;
  const parts = compose({ prompt, variety, seed, width, height, exclusions });
  const captioned = (options.caption ?? true) && !exclusions.noCaption;
  return svg(
    width,
    height,
    `${parts.defs}${parts.background}${parts.masses}${parts.shapes}${captioned ? caption(prompt, width, height) : ""}`,
  );
}

/** The edit-type operations that start from an image. */
export type EditKind = "edit" | "inpaint" | "outpaint" | "variation" | "upscale";

/** Inputs of an edit-type composition; `imageHref` is the start image as a `data:` URI. */
export interface EditSvgInput {
  kind: EditKind;
  prompt: string;
  variantIndex: number;
  seed: string;
  imageHref: string;
}

/** Side of the output of an edit-type op. */
export function editSize(kind: EditKind): number {
  return kind === "upscale" ? UPSCALE_SIZE : SVG_SIZE;
}

/**
 * An SVG that embeds the start image (cover-cropped) and changes it per kind: `edit` lays the
 * composition over it translucently, `inpaint` fills one region, `outpaint` insets it in a generated
 * surround, `variation` mirrors odd variants and tints, `upscale` only re-renders it at 1024×1024.
 */
export function renderEditSvg(input: EditSvgInput): string {
  const size = editSize(input.kind);
  // A base64 data URI has no XML-special characters; escape anything else rather than trust it.
  const href = DATA_URI.test(input.imageHref) ? input.imageHref : escapeXml(input.imageHref);
  const image = (x: number, y: number, side: number, extra = ""): string =>
    `<image x="${n(x)}" y="${n(y)}" width="${n(side)}" height="${n(side)}" preserveAspectRatio="xMidYMid slice" href="${href}" xlink:href="${href}"${extra}/>`;
  if (input.kind === "upscale") return svg(size, size, image(0, 0, size));

  const parts = compose({
    prompt: input.prompt,
    variety: input.variantIndex,
    seed: input.seed,
    width: size,
    height: size,
    exclusions: NO_EXCLUSIONS,
  });
  const layer = (opacity: number, body: string): string => `<g opacity="${opacity}">${body}</g>`;
  let body: string;
  switch (input.kind) {
    case "edit":
      body = image(0, 0, size) + layer(0.4, parts.masses + parts.shapes);
      break;
    case "inpaint": {
      const rng = createRandom(`${input.seed}:${input.variantIndex}:mask`);
      const r = rng.range(0.18, 0.26) * size;
      const cx = rng.range(0.3, 0.7) * size;
      const cy = rng.range(0.3, 0.6) * size;
      body = `<clipPath id="hole"><circle cx="${n(cx)}" cy="${n(cy)}" r="${n(r)}"/></clipPath>${image(0, 0, size)}<g clip-path="url(#hole)">${layer(0.9, parts.background + parts.masses + parts.shapes)}</g>`;
      break;
    }
    case "outpaint": {
      const inset = size * 0.16;
      body = `${parts.background}${parts.masses}${parts.shapes}<rect x="${n(inset - 3)}" y="${n(inset - 3)}" width="${n(size - 2 * inset + 6)}" height="${n(size - 2 * inset + 6)}" fill="#ffffff" fill-opacity="0.6"/>${image(inset, inset, size - 2 * inset)}`;
      break;
    }
    case "variation": {
      const mirror = input.variantIndex % 2 === 1 ? ` transform="translate(${size} 0) scale(-1 1)"` : "";
      body = image(0, 0, size, mirror) + layer(0.22, parts.background) + layer(0.3, parts.shapes);
      break;
    }
  }
  return svg(size, size, `${parts.defs}${body}${caption(input.prompt, size, size)}`);
}
