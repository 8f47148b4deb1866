/** Global image statistics (brightness, contrast, entropy, colourfulness, dominant colours) for the judge. */
import { type DecodedImage, luminance } from "./png";

/** The fixed colour vocabulary shared by `dominantColours` and the judge's prompt check. */
export const COLOUR_NAMES = [
  "red",
  "orange",
  "yellow",
  "green",
  "teal",
  "blue",
  "purple",
  "pink",
  "brown",
  "black",
  "gray",
  "white",
] as const;
export type ColourName = (typeof COLOUR_NAMES)[number];

export interface ImageStats {
  /** Mean Rec. 601 luma, 0..255 (alpha composited over white). */
  meanLuminance: number;
  /** Standard deviation of luma, 0..127.5. */
  contrast: number;
  /** Shannon entropy of the 256-bin luma histogram in bits, 0..8. */
  entropy: number;
  /** Hasler–Süsstrunk colourfulness: < 15 barely colourful, > 59 highly colourful. */
  colourfulness: number;
  /** 1–3 palette names, most frequent first; all but the first cover `MIN_DOMINANT_SHARE` of the pixels. */
  dominantColours: ColourName[];
  /** Near-uniform (blank) image: `contrast < UNIFORM_CONTRAST`. */
  uniform: boolean;
}

/** Luma standard deviation below which an image counts as one flat colour (JPEG noise stays under ~2). */
export const UNIFORM_CONTRAST = 4;
/** A colour must cover this share of the pixels to be named dominant. */
export const MIN_DOMINANT_SHARE = 0.08;

/**
 * Names the palette colour of one sRGB pixel (0..255 channels) through its hue, saturation and value.
 * Achromatic pixels map to black/gray/white; dark oranges and yellows read as brown, light reds as pink.
 */
export function colourName(r: number, g: number, b: number): ColourName {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const value = max / 255;
  const saturation = max === 0 ? 0 : (max - min) / max;
  if (value < 0.2) return "black";
  if (saturation < 0.2 || max - min < 20) {
    if (value > 0.85) return "white";
    return value < 0.3 ? "black" : "gray";
  }
  let hue: number;
  if (max === r) hue = ((g - b) / (max - min)) * 60;
  else if (max === g) hue = ((b - r) / (max - min) + 2) * 60;
  else hue = ((r - g) / (max - min) + 4) * 60;
  if (hue < 0) hue += 360;
  if (hue < 15 || hue >= 345) return value > 0.75 && saturation < 0.5 ? "pink" : "red";
  if (hue < 45) return value < 0.6 ? "brown" : "orange";
  if (hue < 70) return value < 0.45 ? "brown" : "yellow";
  if (hue < 165) return "green";
  if (hue < 195) return "teal";
  if (hue < 255) return "blue";
  if (hue < 295) return "purple";
  return "pink";
}

/**
 * Computes the judge's statistics over every pixel. Meant for small renditions (64×64): the cost is
 * linear in the pixel count. Transparent pixels are composited over white, as in `luminance`.
 */
export function computeStats(img: DecodedImage): ImageStats {
  const luma = luminance(img);
  const count = luma.length;
  const histogram = new Uint32Array(256);
  const colourCounts = new Map<ColourName, number>();
  let lumaSum = 0;
  let lumaSquares = 0;
  let rgSum = 0;
  let rgSquares = 0;
  let ybSum = 0;
  let ybSquares = 0;
  for (let i = 0; i < count; i++) {
    const y = luma[i] ?? 0;
    lumaSum += y;
    lumaSquares += y * y;
    const bin = Math.min(255, Math.max(0, Math.round(y)));
    histogram[bin] = (histogram[bin] ?? 0) + 1;

    // Composited over white, inline: a closure per pixel costs more than the arithmetic.
    const alpha = (img.rgba[i * 4 + 3] ?? 255) / 255;
    const white = 255 * (1 - alpha);
    const r = (img.rgba[i * 4] ?? 0) * alpha + white;
    const g = (img.rgba[i * 4 + 1] ?? 0) * alpha + white;
    const b = (img.rgba[i * 4 + 2] ?? 0) * alpha + white;
    const rg = r - g;
    const yb = 0.5 * (r + g) - b;
    rgSum += rg;
    rgSquares += rg * rg;
    ybSum += yb;
    ybSquares += yb * yb;
    const name = colourName(r, g, b);
    colourCounts.set(name, (colourCounts.get(name) ?? 0) + 1);
  }
  const n = Math.max(1, count);
  const mean = lumaSum / n;
  const variance = (sum: number, squares: number) => Math.max(0, squares / n - (sum / n) ** 2);
  const contrast = Math.sqrt(variance(lumaSum, lumaSquares));

  let entropy = 0;
  for (const c of histogram) {
    if (c > 0) entropy -= (c / n) * Math.log2(c / n);
  }
  const sigma = Math.sqrt(variance(rgSum, rgSquares) + variance(ybSum, ybSquares));
  const mu = Math.sqrt((rgSum / n) ** 2 + (ybSum / n) ** 2);

  // Most frequent first, ties in palette order (deterministic); the top colour is always named.
  const dominantColours = [...colourCounts.entries()]
    .sort(([na, a], [nb, b]) => b - a || COLOUR_NAMES.indexOf(na) - COLOUR_NAMES.indexOf(nb))
    .filter(([, c], rank) => rank === 0 || c / n >= MIN_DOMINANT_SHARE)
    .slice(0, 3)
    .map(([name]) => name);

  return {
    meanLuminance: mean,
    contrast,
    entropy: Math.max(0, entropy),
    colourfulness: sigma + 0.3 * mu,
    dominantColours,
    uniform: contrast < UNIFORM_CONTRAST,
  };
}
