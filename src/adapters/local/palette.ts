/** Colour words in a prompt → hex colours, with a seed-chosen fallback palette and small colour maths. */
import { hashString } from "./seeded-random";

/** Colour words the offline provider understands, lower-case, each mapped to one hex colour. */
export const COLOR_WORDS: Readonly<Record<string, string>> = {
  red: "#e53935",
  scarlet: "#ff2400",
  crimson: "#b0102f",
  maroon: "#800000",
  orange: "#fb8c00",
  amber: "#ffb300",
  coral: "#ff7f50",
  yellow: "#fdd835",
  gold: "#d4af37",
  golden: "#d4af37",
  beige: "#e8dcc0",
  ivory: "#fffff0",
  green: "#43a047",
  lime: "#9be22d",
  olive: "#6b8e23",
  emerald: "#2ecc71",
  teal: "#00897b",
  turquoise: "#40e0d0",
  cyan: "#00bcd4",
  azure: "#3399ff",
  blue: "#1e88e5",
  navy: "#0b1f5c",
  indigo: "#3f51b5",
  purple: "#8e24aa",
  violet: "#7f00ff",
  lavender: "#b39ddb",
  magenta: "#d81b60",
  pink: "#f48fb1",
  brown: "#6d4c41",
  black: "#111111",
  charcoal: "#36454f",
  gray: "#808080",
  grey: "#808080",
  silver: "#c0c0c0",
  white: "#fafafa",
};

/** Fallback palettes for prompts without colour words; one is chosen from the seed. */
export const FALLBACK_PALETTES: readonly (readonly [string, string, string, string])[] = [
  ["#264653", "#2a9d8f", "#e9c46a", "#e76f51"],
  ["#003049", "#d62828", "#f77f00", "#fcbf49"],
  ["#3d405b", "#e07a5f", "#81b29a", "#f2cc8f"],
  ["#22223b", "#4a4e69", "#9a8c98", "#f2e9e4"],
  ["#0b132b", "#1c2541", "#5bc0be", "#ffd166"],
  ["#582f0e", "#936639", "#a4ac86", "#ede0d4"],
  ["#10002b", "#5a189a", "#e0aaff", "#ff6d00"],
  ["#03045e", "#0077b6", "#90e0ef", "#ffafcc"],
];

/** The colours a render uses; `fromPrompt` says whether colour words steered them. */
export interface Palette {
  colors: readonly [string, ...string[]];
  fromPrompt: boolean;
}

/** The colour words of `prompt` in order of first appearance, as hex (deduplicated). */
export function colorsInPrompt(prompt: string): string[] {
  const found: string[] = [];
  for (const word of prompt.toLowerCase().split(/[^a-z]+/)) {
    const hex = COLOR_WORDS[word];
    if (hex !== undefined && !found.includes(hex)) found.push(hex);
  }
  return found;
}

/** Colours closer than this (Euclidean distance in RGB, 0..441) count as the same colour for exclusion. */
export const NEAR_COLOR = 80;

/** Whether `hex` is within NEAR_COLOR of any colour of `avoid`. */
export function isNear(hex: string, avoid: readonly string[]): boolean {
  const [r, g, b] = parseHex(hex);
  return avoid.some((other) => {
    const [r2, g2, b2] = parseHex(other);
    return Math.hypot(r - r2, g - g2, b - b2) < NEAR_COLOR;
  });
}

/**
 * The palette for a render: the prompt's colour words first (so they appear verbatim as fills),
 * padded to four with lighter and darker tones of them; otherwise a fallback chosen by the seed.
 * Colours near any of `avoid` (a negative prompt's colour words) are left out: of the prompt's words,
 * and of the fallback (the first palette from the seed's choice on that keeps a colour, filtered).
 */
export function paletteFor(prompt: string, seed: string, avoid: readonly string[] = []): Palette {
  const words = colorsInPrompt(prompt).filter((hex) => !isNear(hex, avoid));
  const [first, ...rest] = words;
  if (first === undefined) {
    const start = hashString(`palette:${seed}`) % FALLBACK_PALETTES.length;
    for (let k = 0; k < FALLBACK_PALETTES.length; k++) {
      const fallback = FALLBACK_PALETTES[(start + k) % FALLBACK_PALETTES.length] ?? [];
      const [head, ...tail] = fallback.filter((hex) => !isNear(hex, avoid));
      if (head !== undefined) return { colors: [head, ...tail], fromPrompt: false };
    }
    return { colors: ["#808080"], fromPrompt: false };
  }
  const colors: [string, ...string[]] = [first, ...rest];
  const tones = [
    mixHex(first, "#ffffff", 0.45),
    mixHex(first, "#000000", 0.45),
    mixHex(first, "#808080", 0.5),
  ];
  for (const tone of tones) {
    if (colors.length >= 4) break;
    colors.push(tone);
  }
  return { colors, fromPrompt: true };
}

function parseHex(hex: string): [number, number, number] {
  const value = Number.parseInt(hex.replace("#", ""), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

/** Linear mix of two `#rrggbb` colours: t = 0 gives `a`, t = 1 gives `b`. */
export function mixHex(a: string, b: string, t: number): string {
  const ca = parseHex(a);
  const cb = parseHex(b);
  const mixed = ca.map((channel, i) => Math.round(channel + ((cb[i] ?? channel) - channel) * t));
  return `#${mixed.map((channel) => channel.toString(16).padStart(2, "0")).join("")}`;
}

/** Relative luminance (Rec. 709 weights on sRGB values) in [0, 1]. */
export function luminance(hex: string): number {
  const [r, g, b] = parseHex(hex);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}
