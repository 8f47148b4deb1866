/** A negative prompt → what the offline composition leaves out: colours, shape kinds, the caption. */
import { colorsInPrompt } from "./palette";

/** The detail shape kinds a composition draws (the layout's masses use circle and rect too). */
export const SHAPE_KINDS = ["circle", "rect", "polygon", "stripes"] as const;
export type ShapeKind = (typeof SHAPE_KINDS)[number];

/** Words of a negative prompt that name a shape kind or the caption (lower-case, singular and plural). */
const SHAPE_WORDS: Readonly<Record<string, ShapeKind | "caption">> = {
  circle: "circle",
  circles: "circle",
  round: "circle",
  dot: "circle",
  dots: "circle",
  bubble: "circle",
  bubbles: "circle",
  ring: "circle",
  rings: "circle",
  rect: "rect",
  rects: "rect",
  rectangle: "rect",
  rectangles: "rect",
  square: "rect",
  squares: "rect",
  box: "rect",
  boxes: "rect",
  block: "rect",
  blocks: "rect",
  polygon: "polygon",
  polygons: "polygon",
  triangle: "polygon",
  triangles: "polygon",
  hexagon: "polygon",
  hexagons: "polygon",
  pentagon: "polygon",
  pentagons: "polygon",
  stripe: "stripes",
  stripes: "stripes",
  striped: "stripes",
  line: "stripes",
  lines: "stripes",
  text: "caption",
  caption: "caption",
  captions: "caption",
  words: "caption",
  letters: "caption",
  lettering: "caption",
  writing: "caption",
  typography: "caption",
  watermark: "caption",
};

/** What a composition must not contain. */
export interface Exclusions {
  /** Hex colours named in the negative prompt: removed from the palette (and near ones with them). */
  colors: readonly string[];
  /** Shape kinds named in the negative prompt: never drawn. */
  shapes: ReadonlySet<ShapeKind>;
  /** Whether the prompt caption is left out ("text", "caption", "watermark", …). */
  noCaption: boolean;
}

export const NO_EXCLUSIONS: Exclusions = { colors: [], shapes: new Set(), noCaption: false };

/**
 * Reads a negative prompt deterministically: its colour words (the same vocabulary as prompts) and
 * its shape words (circle/round/dots, rect/square/box, polygon/triangle, stripes/lines, text/caption).
 * Any other word has no effect.
 */
export function exclusionsOf(negativePrompt: string | undefined): Exclusions {
  if (negativePrompt === undefined || negativePrompt.trim() === "") return NO_EXCLUSIONS;
  const shapes = new Set<ShapeKind>();
  let noCaption = false;
  for (const word of negativePrompt.toLowerCase().split(/[^a-z]+/)) {
    const kind = SHAPE_WORDS[word];
    if (kind === "caption") noCaption = true;
    else if (kind !== undefined) shapes.add(kind);
  }
  return { colors: colorsInPrompt(negativePrompt), shapes, noCaption };
}
