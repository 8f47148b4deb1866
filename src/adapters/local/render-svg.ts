/** Pure SVG compositions for the offline image provider: abstract art from a prompt, or over a start image. */
import { luminance, mixHex, paletteFor } from "./palette";
import { createRandom, type SeededRandom } from "./seeded-random";

/** Side of a generated image in pixels. */
export const SVG_SIZE = 512;
const DATA_URI = /^data:image\/[a-z+.-]+;base64,[A-Za-z0-9+/]*={0,2}$/;

/** Side of an `upscale` result in pixels. */
export const UPSCALE_SIZE = 1024;
/** Characters (code points) per caption line: what fits the bar at the caption's font size. */
export const CAPTION_LENGTH = 40;
/** Caption lines at most; a longer prompt is shortened at a word boundary with an ellipsis. */
export const CAPTION_LINES = 2;

type Point = readonly [number, number];

/**
 * The low-frequency skeleton of a variant: where the light and the dark masses sit. Neighbouring
 * variants get unrelated skeletons (opposite corners, rotated axes, radial vs linear, bands vs
 * quadrants) so that their perceptual hashes differ, not only their details.
 */
interface Layout {
  gradient: { kind: "linear"; from: Point; to: Point } | { kind: "radial"; center: Point; radius: number };
  light: Point;
  dark: Point;
  /** Extra dark mass: a band along one axis, or the diagonal quadrants. */
  accent: "band-top" | "band-left" | "quadrants" | "ring" | "none";
}

const LAYOUTS: readonly [Layout, ...Layout[]] = [
  {
    gradient: { kind: "linear", from: [0, 0], to: [1, 1] },
    light: [0.25, 0.25],
    dark: [0.75, 0.72],
    accent: "none",
  },
  {
    gradient: { kind: "linear", from: [1, 0], to: [0, 1] },
    light: [0.75, 0.25],
    dark: [0.25, 0.7],
    accent: "band-left",
  },
  {
    gradient: { kind: "radial", center: [0.5, 0.5], radius: 0.62 },
    light: [0.5, 0.45],
    dark: [0.12, 0.12],
    accent: "ring",
  },
  {
    gradient: { kind: "linear", from: [0, 1], to: [0, 0] },
    light: [0.5, 0.78],
    dark: [0.5, 0.18],
    accent: "band-top",
  },
  {
    gradient: { kind: "linear", from: [1, 1], to: [0, 0] },
    light: [0.75, 0.72],
    dark: [0.25, 0.25],
    accent: "quadrants",
  },
  {
    gradient: { kind: "linear", from: [0, 0.5], to: [1, 0.5] },
    light: [0.2, 0.5],
    dark: [0.8, 0.5],
    accent: "band-top",
  },
  {
    gradient: { kind: "radial", center: [0.85, 0.85], radius: 0.9 },
    light: [0.78, 0.8],
    dark: [0.2, 0.3],
    accent: "band-left",
  },
  {
    gradient: { kind: "linear", from: [0, 1], to: [1, 0] },
    light: [0.25, 0.75],
    dark: [0.72, 0.25],
    accent: "quadrants",
  },
];

const n = (value: number): string => value.toFixed(1);

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

/** The layout used for a variant (cycles every eight; the shapes still differ past that). */
function layoutFor(variantIndex: number): Layout {
  const index = ((Math.trunc(variantIndex) % LAYOUTS.length) + LAYOUTS.length) % LAYOUTS.length;
  return LAYOUTS[index] ?? LAYOUTS[0];
}

interface Parts {
  defs: string;
  background: string;
  masses: string;
  shapes: string;
}

/** Builds the layers of one composition, in a fixed order of PRNG draws so output is reproducible. */
function compose(prompt: string, variantIndex: number, seed: string, size: number): Parts {
  const rng = createRandom(`${seed}:${variantIndex}`);
  const { colors } = paletteFor(prompt, seed);
  const pick = (): string => rng.pick(colors);
  const layout = layoutFor(variantIndex);
  // Light and dark ends are pulled towards white and black so the luminance layout survives any palette.
  const lightEnd = mixHex(colors[0], "#ffffff", 0.6);
  const darkEnd = mixHex(colors[1] ?? colors[0], "#000000", 0.7);
  const s = (fraction: number): string => n(fraction * size);

  const g = layout.gradient;
  const gradient =
    g.kind === "linear"
      ? `<linearGradient id="bg" x1="${g.from[0]}" y1="${g.from[1]}" x2="${g.to[0]}" y2="${g.to[1]}">`
      : `<radialGradient id="bg" cx="${g.center[0]}" cy="${g.center[1]}" r="${g.radius}">`;
  const close = g.kind === "linear" ? "</linearGradient>" : "</radialGradient>";
  const middle = mixHex(lightEnd, darkEnd, 0.5);
  const defs = `<defs>${gradient}<stop offset="0" stop-color="${lightEnd}"/><stop offset="0.5" stop-color="${middle}"/><stop offset="1" stop-color="${darkEnd}"/>${close}</defs>`;
  const background = `<rect width="${size}" height="${size}" fill="url(#bg)"/>`;

  const masses: string[] = [];
  const lightR = rng.range(0.17, 0.24);
  masses.push(
    `<circle cx="${s(layout.light[0])}" cy="${s(layout.light[1])}" r="${s(lightR)}" fill="${mixHex(pick(), "#ffffff", 0.55)}" fill-opacity="0.85"/>`,
  );
  const darkW = rng.range(0.3, 0.42);
  const darkH = rng.range(0.22, 0.34);
  const tilt = rng.range(-30, 30);
  masses.push(
    `<rect x="${s(layout.dark[0] - darkW / 2)}" y="${s(layout.dark[1] - darkH / 2)}" width="${s(darkW)}" height="${s(darkH)}" fill="${mixHex(pick(), "#000000", 0.6)}" fill-opacity="0.85" transform="rotate(${n(tilt)} ${s(layout.dark[0])} ${s(layout.dark[1])})"/>`,
  );
  masses.push(accent(layout.accent, size, mixHex(pick(), "#000000", 0.65)));

  const shapes: string[] = [];
  const count = rng.int(6, 11);
  // Fills cycle through the palette so every colour word of the prompt shows up verbatim.
  const offset = rng.int(0, colors.length - 1);
  for (let i = 0; i < count; i++) {
    const fill = colors[(offset + i) % colors.length] ?? colors[0];
    shapes.push(randomShape(rng, size, fill, luminance(lightEnd)));
  }
  return { defs, background, masses: masses.join(""), shapes: shapes.join("") };
}

function accent(kind: Layout["accent"], size: number, fill: string): string {
  const q = n(size / 2);
  switch (kind) {
    case "band-top":
      return `<rect x="0" y="0" width="${size}" height="${n(size * 0.16)}" fill="${fill}" fill-opacity="0.7"/>`;
    case "band-left":
      return `<rect x="0" y="0" width="${n(size * 0.16)}" height="${size}" fill="${fill}" fill-opacity="0.7"/>`;
    case "quadrants":
      return `<path d="M0 0H${q}V${q}H0Z M${q} ${q}H${size}V${size}H${q}Z" fill="${fill}" fill-opacity="0.35"/>`;
    case "ring":
      return `<circle cx="${q}" cy="${q}" r="${n(size * 0.44)}" fill="none" stroke="${fill}" stroke-width="${n(size * 0.07)}" stroke-opacity="0.7"/>`;
    case "none":
      return "";
  }
}

/** One mid-sized shape: detail on top of the layout, never large enough to move the light/dark masses. */
function randomShape(rng: SeededRandom, size: number, fill: string, lightLum: number): string {
  const kind = rng.pick(["circle", "rect", "polygon", "stripes"] as const);
  const x = rng.range(0.05, 0.95) * size;
  const y = rng.range(0.05, 0.9) * size;
  const extent = rng.range(0.04, 0.13) * size;
  const opacity = n(rng.range(0.5, 0.9));
  const stroke = lightLum > 0.5 ? "#ffffff" : "#000000";
  switch (kind) {
    case "circle":
      return `<circle cx="${n(x)}" cy="${n(y)}" r="${n(extent)}" fill="${fill}" fill-opacity="${opacity}"/>`;
    case "rect": {
      const angle = n(rng.range(0, 90));
      return `<rect x="${n(x - extent)}" y="${n(y - extent / 2)}" width="${n(extent * 2)}" height="${n(extent)}" fill="${fill}" fill-opacity="${opacity}" transform="rotate(${angle} ${n(x)} ${n(y)})"/>`;
    }
    case "polygon": {
      const sides = rng.int(3, 6);
      const start = rng.range(0, Math.PI * 2);
      const points: string[] = [];
      for (let k = 0; k < sides; k++) {
        const a = start + (k * Math.PI * 2) / sides;
        points.push(`${n(x + Math.cos(a) * extent)},${n(y + Math.sin(a) * extent)}`);
      }
      return `<polygon points="${points.join(" ")}" fill="${fill}" fill-opacity="${opacity}" stroke="${stroke}" stroke-opacity="0.3" stroke-width="2"/>`;
    }
    case "stripes": {
      const lines = rng.int(3, 6);
      const gap = extent / 2;
      const angle = n(rng.range(-60, 60));
      const bars: string[] = [];
      for (let k = 0; k < lines; k++) {
        bars.push(
          `<rect x="${n(x - extent * 1.5)}" y="${n(y + k * gap)}" width="${n(extent * 3)}" height="${n(gap / 2)}"/>`,
        );
      }
      return `<g fill="${fill}" fill-opacity="0.45" transform="rotate(${angle} ${n(x)} ${n(y)})">${bars.join("")}</g>`;
    }
  }
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

/** The prompt, wrapped at word boundaries, on a translucent bar at the bottom. */
function caption(prompt: string, size: number): string {
  const lines = captionLines(prompt);
  if (lines.length === 0) return "";
  const lineHeight = size * 0.04;
  const bar = size * 0.026 + lines.length * lineHeight;
  const font = n(size * 0.031);
  const texts = lines
    .map((line, i) => {
      const baseline = size - size * 0.022 - (lines.length - 1 - i) * lineHeight;
      return `<text x="${n(size * 0.023)}" y="${n(baseline)}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${font}" fill="#ffffff">${escapeXml(line)}</text>`;
    })
    .join("");
  return `<rect x="0" y="${n(size - bar)}" width="${size}" height="${n(bar)}" fill="#000000" fill-opacity="0.45"/>${texts}`;
}

function svg(size: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">${body}</svg>`;
}

/**
 * A 512×512 abstract composition for `prompt`: a gradient and light/dark masses laid out by the
 * variant, detail shapes drawn from a PRNG seeded by (seed, variantIndex), colours from the prompt's
 * colour words, and the prompt's start as a caption. Same inputs, byte-identical output.
 */
export function renderSvg(prompt: string, variantIndex: number, seed: string): string {
  const parts = compose(prompt, variantIndex, seed, SVG_SIZE);
  return svg(
    SVG_SIZE,
    `${parts.defs}${parts.background}${parts.masses}${parts.shapes}${caption(prompt, SVG_SIZE)}`,
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
  if (input.kind === "upscale") return svg(size, image(0, 0, size));

  const parts = compose(input.prompt, input.variantIndex, input.seed, size);
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
  return svg(size, `${parts.defs}${body}${caption(input.prompt, size)}`);
}
