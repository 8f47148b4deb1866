/** The abstract composition of the offline provider: layout, masses and detail shapes as SVG fragments. */
import type { Exclusions, ShapeKind } from "./negative";
import { luminance, mixHex, paletteFor } from "./palette";
import { createRandom, type SeededRandom } from "./seeded-random";

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

/** SVG number formatting: one decimal. */
export const n = (value: number): string => value.toFixed(1);

/** The layout of a variety (cycles every eight; the shapes still differ past that). */
function layoutFor(variety: number): Layout {
  const index = ((Math.trunc(variety) % LAYOUTS.length) + LAYOUTS.length) % LAYOUTS.length;
  return LAYOUTS[index] ?? LAYOUTS[0];
}

/** The layers of one composition, outermost first. */
export interface Parts {
  defs: string;
  background: string;
  masses: string;
  shapes: string;
}

/** What one composition is made from: equal inputs give an equal composition. */
export interface ComposeInput {
  prompt: string;
  /** What varies between variants: the variantIndex (legacy callers) or the task's seed. */
  variety: number;
  /** The composition hash (model, kind, prompt, start image) as 8 hex digits. */
  seed: string;
  width: number;
  height: number;
  exclusions: Exclusions;
}

/** Scales layout fractions to a width × height canvas; radii and extents scale with the shorter side. */
interface Frame {
  x: (fraction: number) => string;
  y: (fraction: number) => string;
  m: (fraction: number) => string;
  width: number;
  height: number;
  min: number;
}

function frameOf(width: number, height: number): Frame {
  const min = Math.min(width, height);
  return {
    x: (f) => n(f * width),
    y: (f) => n(f * height),
    m: (f) => n(f * min),
    width,
    height,
    min,
  };
}

/** The first of `preferred` not excluded, or null when all are. */
function firstAllowed(preferred: readonly ShapeKind[], excluded: ReadonlySet<ShapeKind>): ShapeKind | null {
  return preferred.find((kind) => !excluded.has(kind)) ?? null;
}

/** A filled mass of `kind` centred at (cx, cy) of half-size (rx, ry) in fractions, tilted by `tilt` degrees. */
function mass(
  kind: ShapeKind | null,
  f: Frame,
  at: readonly [number, number],
  half: readonly [number, number],
  tilt: number,
  fill: string,
): string {
  const [cx, cy] = at;
  const [rx, ry] = half;
  const rotate = ` transform="rotate(${n(tilt)} ${f.x(cx)} ${f.y(cy)})"`;
  switch (kind) {
    case "circle":
      return rx === ry
        ? `<circle cx="${f.x(cx)}" cy="${f.y(cy)}" r="${f.m(rx)}" fill="${fill}" fill-opacity="0.85"/>`
        : `<ellipse cx="${f.x(cx)}" cy="${f.y(cy)}" rx="${f.m(rx)}" ry="${f.m(ry)}" fill="${fill}" fill-opacity="0.85"${rotate}/>`;
    case "rect":
      return `<rect x="${n(cx * f.width - rx * f.min)}" y="${n(cy * f.height - ry * f.min)}" width="${f.m(2 * rx)}" height="${f.m(2 * ry)}" fill="${fill}" fill-opacity="0.85"${rotate}/>`;
    case "polygon":
    case "stripes": {
      const points: string[] = [];
      for (let k = 0; k < 8; k++) {
        const a = (k * Math.PI) / 4 + Math.PI / 8;
        points.push(
          `${n(cx * f.width + Math.cos(a) * rx * f.min)},${n(cy * f.height + Math.sin(a) * ry * f.min)}`,
        );
      }
      return `<polygon points="${points.join(" ")}" fill="${fill}" fill-opacity="0.85"${rotate}/>`;
    }
    case null:
      return "";
  }
}

/**
 * Builds the layers of one composition, in a fixed order of PRNG draws so output is reproducible.
 * Excluded colours never reach the palette; excluded shape kinds are never drawn (a mass of an
 * excluded kind takes the next allowed one: light circle → octagon → rect, dark rect → octagon → ellipse).
 */
export function compose(input: ComposeInput): Parts {
  const { exclusions } = input;
  const f = frameOf(input.width, input.height);
  const rng = createRandom(`${input.seed}:${input.variety}`);
  const { colors } = paletteFor(input.prompt, input.seed, exclusions.colors);
  const pick = (): string => rng.pick(colors);
  const layout = layoutFor(input.variety);
  // Light and dark ends are pulled towards white and black so the luminance layout survives any palette.
  const lightEnd = mixHex(colors[0], "#ffffff", 0.6);
  const darkEnd = mixHex(colors[1] ?? colors[0], "#000000", 0.7);

  const g = layout.gradient;
  const gradient =
    g.kind === "linear"
      ? `<linearGradient id="bg" x1="${g.from[0]}" y1="${g.from[1]}" x2="${g.to[0]}" y2="${g.to[1]}">`
      : `<radialGradient id="bg" cx="${g.center[0]}" cy="${g.center[1]}" r="${g.radius}">`;
  const close = g.kind === "linear" ? "</linearGradient>" : "</radialGradient>";
  const middle = mixHex(lightEnd, darkEnd, 0.5);
  const defs = `<defs>${gradient}<stop offset="0" stop-color="${lightEnd}"/><stop offset="0.5" stop-color="${middle}"/><stop offset="1" stop-color="${darkEnd}"/>${close}</defs>`;
  const background = `<rect width="${f.width}" height="${f.height}" fill="url(#bg)"/>`;

  const excluded = exclusions.shapes;
  const masses: string[] = [];
  const lightR = rng.range(0.17, 0.24);
  const lightKind = firstAllowed(["circle", "polygon", "rect"], excluded);
  masses.push(mass(lightKind, f, layout.light, [lightR, lightR], 0, mixHex(pick(), "#ffffff", 0.55)));
  const darkW = rng.range(0.3, 0.42);
  const darkH = rng.range(0.22, 0.34);
  const tilt = rng.range(-30, 30);
  const darkKind = firstAllowed(["rect", "polygon", "circle"], excluded);
  masses.push(mass(darkKind, f, layout.dark, [darkW / 2, darkH / 2], tilt, mixHex(pick(), "#000000", 0.6)));
  masses.push(accent(layout.accent, f, mixHex(pick(), "#000000", 0.65), excluded));

  const shapes: string[] = [];
  const count = rng.int(6, 11);
  // Fills cycle through the palette so every colour word of the prompt shows up verbatim.
  const offset = rng.int(0, colors.length - 1);
  const kinds = (["circle", "rect", "polygon", "stripes"] as const).filter((kind) => !excluded.has(kind));
  const [firstKind, ...otherKinds] = kinds;
  if (firstKind !== undefined) {
    for (let i = 0; i < count; i++) {
      const fill = colors[(offset + i) % colors.length] ?? colors[0];
      shapes.push(randomShape(rng, f, [firstKind, ...otherKinds], fill, luminance(lightEnd)));
    }
  }
  return { defs, background, masses: masses.join(""), shapes: shapes.join("") };
}

function accent(kind: Layout["accent"], f: Frame, fill: string, excluded: ReadonlySet<ShapeKind>): string {
  const [qx, qy, w, h] = [n(f.width / 2), n(f.height / 2), f.width, f.height];
  switch (kind) {
    case "band-top":
      if (excluded.has("rect") || excluded.has("stripes")) return "";
      return `<rect x="0" y="0" width="${w}" height="${f.y(0.16)}" fill="${fill}" fill-opacity="0.7"/>`;
    case "band-left":
      if (excluded.has("rect") || excluded.has("stripes")) return "";
      return `<rect x="0" y="0" width="${f.x(0.16)}" height="${h}" fill="${fill}" fill-opacity="0.7"/>`;
    case "quadrants":
      if (excluded.has("rect")) return "";
      return `<path d="M0 0H${qx}V${qy}H0Z M${qx} ${qy}H${w}V${h}H${qx}Z" fill="${fill}" fill-opacity="0.35"/>`;
    case "ring":
      if (excluded.has("circle")) return "";
      return `<ellipse cx="${qx}" cy="${qy}" rx="${f.x(0.44)}" ry="${f.y(0.44)}" fill="none" stroke="${fill}" stroke-width="${f.m(0.07)}" stroke-opacity="0.7"/>`;
    case "none":
      return "";
  }
}

/** One mid-sized shape: detail on top of the layout, never large enough to move the light/dark masses. */
function randomShape(
  rng: SeededRandom,
  f: Frame,
  kinds: readonly [ShapeKind, ...ShapeKind[]],
  fill: string,
  lightLum: number,
): string {
  const kind = rng.pick(kinds);
  const x = rng.range(0.05, 0.95) * f.width;
  const y = rng.range(0.05, 0.9) * f.height;
  const extent = rng.range(0.04, 0.13) * f.min;
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
