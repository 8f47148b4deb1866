/** Image analysis on the real local Images binding: PNG decoding, pHash dedupe, stats and the offline judge. */

import { env } from "cloudflare:workers";
import { deflateSync, inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { judgeOffline, promptColours } from "../src/agents/judge.agent";
import { analyzeImage, imageInfo, rgbaRendition } from "../src/agents/tools/images";
import type { AppEnv } from "../src/lib/env";
import { COLOUR_NAMES, colourName, computeStats, type ImageStats } from "../src/lib/image-stats";
import { DEFAULT_PHASH_THRESHOLD, hammingDistance, phashFromLuma32 } from "../src/lib/phash";
import { type DecodedImage, decodePng, luminance } from "../src/lib/png";

const images = (env as unknown as AppEnv).IMAGES;
const stream = (bytes: Uint8Array) => new Blob([bytes]).stream();
const bytesOf = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());

// --- a minimal PNG encoder, so decodePng is checked against pixels we chose -------------------------

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b: Uint8Array) =>
  (b.reduce((c, x) => (CRC[(c ^ x) & 0xff] ?? 0) ^ (c >>> 8), 0xffffffff) ^ -1) >>> 0;
const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

function chunk(type: string, data: ArrayLike<number>): number[] {
  const body = new Uint8Array([...type].map((c) => c.charCodeAt(0)).concat(Array.from(data)));
  return [...u32(data.length), ...body, ...u32(crc32(body))];
}

/** Applies PNG filter `type` to one scanline (the encoder side of what decodePng reverses). */
function filterRow(type: number, row: number[], prev: number[], bpp: number): number[] {
  return row.map((x, i) => {
    const a = row[i - bpp] ?? 0;
    const b = prev[i] ?? 0;
    const c = prev[i - bpp] ?? 0;
    const p = a + b - c;
    const paeth =
      Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
        ? a
        : Math.abs(p - b) <= Math.abs(p - c)
          ? b
          : c;
    const predictor = [0, a, b, (a + b) >> 1, paeth][type] ?? 0;
    return (x - predictor) & 0xff;
  });
}

interface PngOptions {
  filters?: number[];
  plte?: number[];
  trns?: number[];
  interlace?: number;
  idatParts?: number;
  /** The height IHDR declares, when it should differ from the rows of data. */
  declaredRows?: number;
}

/** A PNG of `width` pixels per row from packed, unfiltered sample bytes (rows follow one another). */
async function png(colorType: number, bitDepth: number, width: number, data: number[], o: PngOptions = {}) {
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType] ?? 1;
  const stride = Math.ceil((width * channels * bitDepth) / 8);
  const rows = Array.from({ length: data.length / stride }, (_, y) =>
    data.slice(y * stride, (y + 1) * stride),
  );
  const bpp = Math.max(1, (channels * bitDepth) >> 3);
  const raw = rows.flatMap((row, y) => {
    const type = o.filters?.[y] ?? 0;
    return [type, ...filterRow(type, row, rows[y - 1] ?? [], bpp)];
  });
  const z = await bytesOf(
    new Blob([new Uint8Array(raw)]).stream().pipeThrough(new CompressionStream("deflate")),
  );
  const parts = o.idatParts ?? 1;
  const size = Math.ceil(z.length / parts);
  const ihdr = [
    ...u32(width),
    ...u32(o.declaredRows ?? rows.length),
    bitDepth,
    colorType,
    0,
    0,
    o.interlace ?? 0,
  ];
  return new Uint8Array([
    ...[137, 80, 78, 71, 13, 10, 26, 10],
    ...chunk("IHDR", ihdr),
    ...(o.plte ? chunk("PLTE", o.plte) : []),
    ...(o.trns ? chunk("tRNS", o.trns) : []),
    ...Array.from({ length: parts }, (_, i) => chunk("IDAT", z.subarray(i * size, (i + 1) * size))).flat(),
    ...chunk("IEND", []),
  ]);
}

const pixels = (img: DecodedImage) => Array.from(img.rgba);

// --- SVG fixtures rendered by the binding --------------------------------------------------------

const SVG_NS = 'xmlns="http://www.w3.org/2000/svg"';
const svg = (w: number, h: number, body: string) => `<svg ${SVG_NS} width="${w}" height="${h}">${body}</svg>`;

const RICH = svg(
  512,
  512,
  `<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#1e3c72"/><stop offset="1" stop-color="#f7b733"/></linearGradient></defs>
  <rect width="512" height="512" fill="url(#g)"/><circle cx="170" cy="190" r="90" fill="#e63946"/>
  <rect x="280" y="260" width="170" height="170" fill="#2a9d8f"/><polygon points="60,470 200,300 330,470" fill="#f1faee"/>`,
);
const GRADIENT = svg(
  512,
  512,
  `<defs><linearGradient id="h"><stop offset="0" stop-color="#000"/><stop offset="1" stop-color="#fff"/></linearGradient></defs><rect width="512" height="512" fill="url(#h)"/>`,
);
const CHECKER = svg(
  512,
  512,
  `<defs><pattern id="c" width="256" height="256" patternUnits="userSpaceOnUse"><rect width="128" height="128" fill="#000"/><rect x="128" y="128" width="128" height="128" fill="#000"/></pattern></defs><rect width="512" height="512" fill="#fff"/><rect width="512" height="512" fill="url(#c)"/>`,
);
const circles = (bg: string, fg: string, cx: number) =>
  svg(
    512,
    512,
    `<rect width="512" height="512" fill="${bg}"/><circle cx="${cx}" cy="160" r="100" fill="${fg}"/><circle cx="${512 - cx}" cy="380" r="70" fill="${fg}"/>`,
  );
const FLAT_BLUE = svg(256, 256, `<rect width="256" height="256" fill="#2255cc"/>`);

/** `source` resized by the binding and re-encoded lossily. */
async function resized(
  source: Uint8Array,
  width: number,
  height: number,
  format: "image/jpeg" | "image/webp",
) {
  const out = await images.input(stream(source)).transform({ width, height }).output({ format, quality: 60 });
  return bytesOf(out.image());
}

async function render(source: string, format: "image/png" | "image/jpeg" | "image/webp" = "image/png") {
  return bytesOf((await images.input(stream(new TextEncoder().encode(source))).output({ format })).image());
}

const SPLIT = svg(
  200,
  100,
  `<rect width="100" height="100" fill="red"/><rect x="100" width="100" height="100" fill="blue"/>`,
);
const channel = (img: DecodedImage, c: number) => pixels(img).filter((_, i) => i % 4 === c);

describe("decodePng", () => {
  it("decodes gray 8-bit with Sub and Paeth filters", async () => {
    const img = await decodePng(await png(0, 8, 3, [0, 128, 255, 64, 32, 200], { filters: [1, 4] }));
    expect([img.width, img.height]).toEqual([3, 2]);
    expect(channel(img, 0)).toEqual([0, 128, 255, 64, 32, 200]);
    expect(channel(img, 2)).toEqual([0, 128, 255, 64, 32, 200]);
    expect(channel(img, 3)).toEqual([255, 255, 255, 255, 255, 255]);
  });

  it("decodes RGB 8-bit under all five filter types, split over three IDAT chunks", async () => {
    const rows = [0, 1, 2, 3, 4].map((y) => [10 * y, 200 - y, 7, 250, 40 + y * 30, 99]);
    const img = await decodePng(await png(2, 8, 2, rows.flat(), { filters: [0, 1, 2, 3, 4], idatParts: 3 }));
    expect(pixels(img)).toEqual(rows.flatMap((r) => [r[0], r[1], r[2], 255, r[3], r[4], r[5], 255]));
  });

  it("decodes a 2-bit palette with tRNS and 1-bit / 4-bit gray", async () => {
    const plte = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
    const palette = await decodePng(await png(3, 2, 4, [0b00011011], { plte, trns: [255, 128, 0] }));
    expect(pixels(palette)).toEqual([255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 255, 255, 255, 255]);
    expect(channel(await decodePng(await png(0, 1, 5, [0b10110000])), 0)).toEqual([255, 0, 255, 255, 0]);
    expect(channel(await decodePng(await png(0, 4, 3, [0x0f, 0x50])), 0)).toEqual([0, 255, 85]);
  });

  it("decodes gray+alpha 8-bit and RGBA 16-bit (high byte)", async () => {
    const ga = await decodePng(await png(4, 8, 2, [90, 0, 200, 255]));
    expect(pixels(ga)).toEqual([90, 90, 90, 0, 200, 200, 200, 255]);
    const deep = await png(6, 16, 1, [1, 2, 3, 4, 5, 6, 255, 255, 250, 9, 0, 0, 128, 1, 64, 0], {
      filters: [0, 3],
    });
    expect(pixels(await decodePng(deep))).toEqual([1, 3, 5, 255, 250, 0, 128, 64]);
  });

  it("matches the binding: a hand-made PNG re-encoded by sharp decodes to the same pixels", async () => {
    const rgb = await png(2, 8, 2, [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255], { filters: [4, 2] });
    expect(await imageInfo(images, rgb)).toEqual({ width: 2, height: 2, format: "image/png" });
    const reencoded = await bytesOf(
      (await images.input(stream(rgb)).output({ format: "image/png" })).image(),
    );
    expect(pixels(await decodePng(rgb))).toEqual([
      255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255,
    ]);
    expect(pixels(await decodePng(reencoded))).toEqual(pixels(await decodePng(rgb)));
  });

  it("refuses interlaced, corrupt and truncated input with a clear error", async () => {
    const gray = (o: PngOptions = {}, depth = 8) => png(0, depth, 2, [1, 2, 3, 4], o);
    await expect(decodePng(new Uint8Array([1, 2, 3]))).rejects.toThrow("Invalid PNG: missing PNG signature");
    await expect(decodePng(await gray({ interlace: 1 }))).rejects.toThrow("Unsupported PNG: interlaced");
    await expect(decodePng(await gray({ filters: [0, 9] }))).rejects.toThrow("unknown filter type 9");
    await expect(decodePng(await gray({}, 3))).rejects.toThrow("bit depth 3 with colour type 0");
    const good = await gray();
    const flipped = good.slice();
    flipped[20] = (flipped[20] ?? 0) ^ 1; // inside IHDR
    await expect(decodePng(flipped)).rejects.toThrow("CRC mismatch");
    await expect(decodePng(good.subarray(0, good.length - 20))).rejects.toThrow("Invalid PNG");
    await expect(decodePng(await gray({ declaredRows: 3 }))).rejects.toThrow(
      "Invalid PNG: image data is truncated (6 of 9 bytes)",
    );
  });

  it("relies on node:zlib refusing to inflate past maxOutputLength (the bomb guard)", () => {
    const bomb = deflateSync(new Uint8Array(8 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(16 * 1024);
    expect(() => inflateSync(bomb, { maxOutputLength: 256 * 1024 })).toThrow(RangeError);
    expect(inflateSync(bomb, { maxOutputLength: 9 * 1024 * 1024 }).length).toBe(8 * 1024 * 1024);
  });

  it("reads an image whose compressed data runs past its declared rows, keeping only those rows", async () => {
    const rows = (n: number) => Array.from({ length: 2 * n }, (_, i) => (i * 10) % 256);
    // A little past (inside the one-shot inflate's slack), then far past (the streamed fallback).
    for (const total of [3, 60_000]) {
      const img = await decodePng(await png(0, 8, 2, rows(total), { declaredRows: 2 }));
      expect([img.width, img.height]).toEqual([2, 2]);
      expect(pixels(img)).toEqual([0, 0, 0, 255, 10, 10, 10, 255, 20, 20, 20, 255, 30, 30, 30, 255]);
    }
  });

  it("decodes sharp's PNG of an SVG and composites alpha over white for luma", async () => {
    const img = await decodePng(await render(SPLIT));
    expect([img.width, img.height]).toEqual([200, 100]);
    expect(pixels(img).slice(0, 4)).toEqual([255, 0, 0, 255]);
    expect(pixels(img).slice(-4)).toEqual([0, 0, 255, 255]);
    const luma = luminance({ width: 2, height: 1, rgba: new Uint8Array([255, 0, 0, 255, 0, 0, 0, 0]) });
    expect(luma[0]).toBeCloseTo(76.245, 3);
    expect(luma[1]).toBeCloseTo(255, 6);
  });
});

describe("Images tools", () => {
  it("imageInfo sizes bitmaps and rasterized SVGs, and rejects non-images", async () => {
    const info = (bytes: Uint8Array) => imageInfo(images, bytes);
    expect(await info(new TextEncoder().encode(SPLIT))).toEqual({
      width: 200,
      height: 100,
      format: "image/svg+xml",
    });
    expect(await info(await render(RICH, "image/jpeg"))).toEqual({
      width: 512,
      height: 512,
      format: "image/jpeg",
    });
    await expect(info(new Uint8Array([1, 2, 3]))).rejects.toThrow("unsupported image format");
  });

  it("rgbaRendition squeezes to the exact size without letterboxing", async () => {
    const wide = await render(SPLIT);
    const img = await rgbaRendition(images, wide, 32, 32);
    expect([img.width, img.height, img.rgba.length]).toEqual([32, 32, 32 * 32 * 4]);
    for (const y of [0, 15, 31]) {
      expect(pixels(img).slice(y * 128, y * 128 + 4)).toEqual([255, 0, 0, 255]);
      expect(pixels(img).slice(y * 128 + 124, y * 128 + 128)).toEqual([0, 0, 255, 255]);
    }
    await expect(rgbaRendition(images, wide, 0, 32)).rejects.toThrow("positive integer");
  });
});

describe("pHash", () => {
  it("hashes a flat field to the DC bit alone and needs 1024 values", () => {
    expect(phashFromLuma32(new Float64Array(1024).fill(128))).toBe("8000000000000000");
    expect(() => phashFromLuma32(new Float64Array(64))).toThrow("needs 1024");
  });

  it("hammingDistance counts differing bits and refuses malformed hashes", () => {
    expect(hammingDistance("0000000000000000", "ffffffffffffffff")).toBe(64);
    expect(hammingDistance("8000000000000001", "0000000000000000")).toBe(2);
    expect(hammingDistance("00000000f0000000", "00000000F0000000")).toBe(0);
    expect(hammingDistance("0123456789abcdef", "0123456789abcdee")).toBe(1);
    expect(() => hammingDistance("xyz", "0000000000000000")).toThrow("Malformed pHash");
    expect(() => hammingDistance("000000000000000", "0000000000000000")).toThrow("Malformed pHash");
  });

  it("is 0 for the same image and within the threshold after a 512→300 px JPEG / WebP re-encode", async () => {
    const png = await render(RICH);
    const [a, b] = [await analyzeImage(images, png), await analyzeImage(images, png)];
    expect(a.phash).toBe("8e33c14e31cd3ec9");
    expect(hammingDistance(a.phash, b.phash)).toBe(0);
    const jpeg = await analyzeImage(images, await resized(png, 300, 300, "image/jpeg"));
    const webp = await analyzeImage(images, await resized(png, 300, 300, "image/webp"));
    expect([jpeg.width, jpeg.height, webp.width, webp.height]).toEqual([300, 300, 300, 300]);
    // A landscape picture too: the squeeze to 32×32 must not depend on the binding's `fit`.
    const wide = await render(
      RICH.replace(
        'width="512" height="512">',
        'width="800" height="400" viewBox="0 0 512 512" preserveAspectRatio="none">',
      ),
    );
    const wideSmall = await analyzeImage(images, await resized(wide, 400, 200, "image/jpeg"));
    expect([wideSmall.width, wideSmall.height]).toEqual([400, 200]);
    const distances = [
      hammingDistance(a.phash, jpeg.phash),
      hammingDistance(a.phash, webp.phash),
      hammingDistance((await analyzeImage(images, wide)).phash, wideSmall.phash),
    ];
    expect(distances).toEqual([0, 0, 0]);
    for (const d of distances) expect(d).toBeLessThanOrEqual(DEFAULT_PHASH_THRESHOLD);
  });

  it("separates unrelated images by more than the threshold", async () => {
    const hash = async (source: string) => (await analyzeImage(images, await render(source))).phash;
    const pairs: [string, string][] = [
      [GRADIENT, CHECKER],
      [circles("#0b1d3a", "#ffffff", 150), circles("#ffd23f", "#3a0b0b", 362)],
      [RICH, GRADIENT],
    ];
    const distances = await Promise.all(
      pairs.map(async ([x, y]) => hammingDistance(await hash(x), await hash(y))),
    );
    expect(distances).toEqual([9, 28, 30]);
    for (const d of distances) expect(d).toBeGreaterThan(DEFAULT_PHASH_THRESHOLD);
  });
});

describe("computeStats", () => {
  const solid = (r: number, g: number, b: number, n = 16): DecodedImage => ({
    width: n,
    height: 1,
    rgba: new Uint8Array(Array.from({ length: n }, () => [r, g, b, 255]).flat()),
  });

  it("measures a flat field as uniform, and half black / half white as one bit of entropy", () => {
    const flat = computeStats(solid(34, 85, 204));
    expect(flat).toMatchObject({ contrast: 0, entropy: 0, uniform: true, dominantColours: ["blue"] });
    const halves = computeStats({
      width: 2,
      height: 1,
      rgba: new Uint8Array([0, 0, 0, 255, 255, 255, 255, 255]),
    });
    expect(halves.meanLuminance).toBeCloseTo(127.5, 6);
    expect(halves.contrast).toBeCloseTo(127.5, 6);
    expect(halves.entropy).toBeCloseTo(1, 9);
    expect(halves.colourfulness).toBeCloseTo(0, 9);
    expect(halves.dominantColours).toEqual(["black", "white"]);
  });

  it("names colours from the shared palette", () => {
    const rgb = [
      230, 30, 40, 250, 140, 20, 240, 220, 30, 40, 180, 60, 20, 160, 160, 30, 80, 220, 130, 40, 200, 240, 130,
      200, 120, 70, 30, 10, 10, 10, 128, 128, 128, 250, 250, 250,
    ];
    const named = Array.from({ length: 12 }, (_, i) =>
      colourName(rgb[i * 3] ?? 0, rgb[i * 3 + 1] ?? 0, rgb[i * 3 + 2] ?? 0),
    );
    expect(named).toEqual([...COLOUR_NAMES]);
  });
});

describe("judgeOffline", () => {
  const statsOf = (s: Partial<ImageStats>): ImageStats => ({
    ...{
      meanLuminance: 128,
      contrast: 50,
      entropy: 7,
      colourfulness: 20,
      dominantColours: [],
      uniform: false,
    },
    ...s,
  });
  const stats = async (source: string) => (await analyzeImage(images, await render(source))).stats;

  it("fails a flat single-colour image with measurements, a retry suggestion and its colour tag", async () => {
    const input = { prompt: "a fox in the snow", kind: "generate" as const, width: 256, height: 256 };
    const verdict = judgeOffline({ ...input, stats: await stats(FLAT_BLUE) });
    expect(verdict.judgment).toBe("fail");
    expect(verdict.notes).toContain("Contrast 0.0 (min 12): too flat.");
    expect(verdict.notes).toContain("Entropy 0.00 bits (min 2): too few tones.");
    expect(verdict.retrySuggestion).toBe(
      "Add a clear subject and lighting contrast (a detailed focal point against a distinct background): a fox in the snow",
    );
    expect(verdict.tags).toEqual(["blue", "dark", "square", "low-contrast", "colourful"]);
    expect(verdict.judgeMeta).toMatchObject({
      judge: "heuristic",
      mode: "offline",
      thresholds: { MIN_CONTRAST: 12 },
    });
  });

  it("passes a rich gradient-and-shapes image with sensible tags and notes", async () => {
    const s = await stats(RICH);
    expect(s.meanLuminance).toBeCloseTo(130.0, 0);
    expect(s.contrast).toBeCloseTo(42.6, 0);
    expect(s.entropy).toBeCloseTo(6.08, 1);
    expect(s.colourfulness).toBeGreaterThan(80);
    // The navy→orange gradient's sRGB mid-tones are muddy, so they outnumber the red circle (~10 %).
    expect(s.dominantColours).toEqual(["brown", "orange", "gray"]);
    const judge = (prompt: string) =>
      judgeOffline({ prompt, kind: "generate", stats: s, width: 512, height: 512 });
    const verdict = judge("an orange sunset with geometric shapes");
    expect(verdict.judgment).toBe("pass");
    expect(verdict.retrySuggestion).toBeUndefined();
    expect(verdict.tags.join(" ")).toBe("brown orange gray balanced square high-contrast colourful");
    expect(verdict.notes).toEqual([
      "Contrast 42.6 (min 12).",
      "Entropy 6.08 bits (min 2).",
      "Mean luminance 129.8 (allowed 20–240).",
      "Colourfulness 94.9 (colourful from 33); dominant colours: brown, orange, gray.",
    ]);
    // Colour words that match no dominant colour add a note but do not fail the image.
    const offColour = judge("a bold red circle and a teal square");
    expect(offColour.judgment).toBe("pass");
    expect(offColour.notes).toContain("The prompt names red, teal, but none is among the dominant colours.");
  });

  it("passes a real edit and fails an unrelated result by pHash distance", async () => {
    const analyze = async (source: string) => analyzeImage(images, await render(source));
    const [start, edited, unrelated] = await Promise.all([
      analyze(RICH),
      analyze(RICH.replace("</svg>", '<circle cx="420" cy="100" r="60" fill="#ffd166"/></svg>')),
      analyze(GRADIENT),
    ]);
    const judge = (result: typeof start) =>
      judgeOffline({
        prompt: "add a yellow sun",
        kind: "edit",
        stats: result.stats,
        width: 512,
        height: 512,
        startImageDistance: hammingDistance(start.phash, result.phash),
      });
    expect(judge(edited).notes).toContain("pHash distance to the start image 14 (allowed 1–28).");
    expect(judge(edited).judgment).toBe("pass");
    expect(judge(unrelated).judgment).toBe("fail");
    expect(judge(unrelated).retrySuggestion).toMatch(/^Keep the start image's subject and composition/);
    expect(judge(start).notes).toContain(
      "pHash distance to the start image 0 (allowed 1–28): the edit changed nothing.",
    );
  });

  it("judges edits by the distance to the start image", () => {
    const stats = statsOf({ meanLuminance: 120, contrast: 50, entropy: 7, dominantColours: ["gray"] });
    const base = { prompt: "make the sky pink", stats, width: 800, height: 600 };
    const edit = (kind: "edit" | "inpaint" | "upscale", startImageDistance?: number) =>
      judgeOffline({ ...base, kind, startImageDistance });
    const unchanged = edit("edit", 0);
    expect(unchanged.judgment).toBe("fail");
    expect(unchanged.notes).toContain(
      "pHash distance to the start image 0 (allowed 1–28): the edit changed nothing.",
    );
    expect(unchanged.retrySuggestion).toMatch(
      /^State the change explicitly.*make pink the dominant colour: make the sky pink$/,
    );
    expect(edit("edit", 12).judgment).toBe("pass");
    expect(edit("edit", 45).notes).toContain(
      "pHash distance to the start image 45 (allowed 1–28): unrelated to the start image.",
    );
    expect(edit("inpaint", 0).judgment).toBe("pass");
    expect(edit("upscale", 0).judgment).toBe("pass");
    expect(edit("upscale", 11).judgment).toBe("fail");
    expect(edit("edit", 12).tags).toEqual(["gray", "balanced", "landscape", "high-contrast", "muted"]);
    expect(edit("edit", 12).notes).toContain(
      "The prompt names pink, but none is among the dominant colours.",
    );
  });

  it("fails near-black frames and reads colour words from prompts", () => {
    const dark = statsOf({
      meanLuminance: 8,
      contrast: 14,
      entropy: 3,
      colourfulness: 2,
      dominantColours: ["black"],
    });
    const verdict = judgeOffline({ prompt: "", kind: "generate", stats: dark, width: 300, height: 900 });
    expect(verdict.notes).toContain("Mean luminance 8.0 (allowed 20–240): too dark.");
    expect(verdict.retrySuggestion).toBe("Brighten the scene with key lighting or a lighter background.");
    expect(verdict.tags).toEqual(["black", "dark", "portrait", "low-contrast", "muted"]);
    expect(promptColours("A grey cat on a Red sofa, red cushions, cyan sky")).toEqual([
      "gray",
      "red",
      "teal",
    ]);
  });
});
