/** A near-duplicate fingerprint: pHash, gradient hash and cell layout of seven views of one small rendition. */
import { z } from "zod";
import type { DecodedImage } from "../png";
import { chromaGrids, colourGrids, lumaGrid } from "./grids";
import { cellLayout, dctHash, gradientHash } from "./hashes";
import {
  CELL_GRID,
  CHROMA_SIDE,
  CROP_SCALES,
  FINGERPRINT_VERSION,
  ROTATION_DEGREES,
  TOP_FRACTION,
  VIEW_SIDE,
  WORK_SIDE,
} from "./thresholds";
import { contentBox } from "./trim";
import { type Affine, cropView, IDENTITY, rotateView, sampleView, topView } from "./views";

/**
 * The views, each a geometric guess at how a copy may have been re-framed, all taken from the content
 * left after trimming uniform borders. `full` is the whole content; the crops undo a crop-and-scale,
 * the rotations a rotate-and-crop-to-fill; `top` leaves out a caption band.
 */
const VIEW_MAPS = {
  full: IDENTITY,
  crop96: cropView(CROP_SCALES.crop96),
  crop93: cropView(CROP_SCALES.crop93),
  crop90: cropView(CROP_SCALES.crop90),
  "rotate-cw": rotateView(ROTATION_DEGREES),
  "rotate-ccw": rotateView(-ROTATION_DEGREES),
  top: topView(TOP_FRACTION),
} satisfies Record<string, Affine>;

export type ViewName = keyof typeof VIEW_MAPS;
export const VIEW_NAMES = Object.keys(VIEW_MAPS) as ViewName[];

/** The three families of one view (the two hashes with their reliability masks), as lowercase hex. */
export interface ViewHashes {
  /** 64-bit DCT pHash, 16 hex chars, and the mask of its reliable bits. */
  phash: string;
  phashMask: string;
  /** 128-bit gradient hash (dHash), 32 hex chars, and the mask of its reliable bits. */
  gradient: string;
  gradientMask: string;
  /** CELL_GRID² cells of z-scored luma, then Cb, then Cr, one byte each (hex): what changed where. */
  cells: string;
}

export interface Fingerprint {
  /** FINGERPRINT_VERSION of the code that computed it. */
  version: number;
  views: Record<ViewName, ViewHashes>;
}

/** The fingerprint of a decoded image; meant for a small rendition (~128 px): cost grows with its pixels. */
export function computeFingerprint(img: DecodedImage): Fingerprint {
  const colours = colourGrids(img, contentBox(img), WORK_SIDE);
  const luma = lumaGrid(colours);
  const chroma = chromaGrids(colours, CHROMA_SIDE);
  const entries = VIEW_NAMES.map((name): [ViewName, ViewHashes] => {
    const map = VIEW_MAPS[name];
    const view = sampleView(luma, map, VIEW_SIDE, 1);
    const dct = dctHash(view);
    const gradient = gradientHash(view);
    const [cbCells, crCells] = [chroma.cb, chroma.cr].map((grid) => sampleView(grid, map, CELL_GRID, 2));
    return [
      name,
      {
        phash: dct.bits,
        phashMask: dct.mask,
        gradient: gradient.bits,
        gradientMask: gradient.mask,
        cells: cellLayout(view, cbCells ?? new Float64Array(), crCells ?? new Float64Array()),
      },
    ];
  });
  return { version: FINGERPRINT_VERSION, views: Object.fromEntries(entries) as Record<ViewName, ViewHashes> };
}

const Hex16 = z.string().regex(/^[0-9a-f]{16}$/);
const Hex32 = z.string().regex(/^[0-9a-f]{32}$/);
const CellsHex = z.string().regex(new RegExp(`^[0-9a-f]{${CELL_GRID * CELL_GRID * 6}}$`));
const ViewHashesSchema = z.object({
  phash: Hex16,
  phashMask: Hex16,
  gradient: Hex32,
  gradientMask: Hex32,
  cells: CellsHex,
});

/** The stored form: `{ version, views: { full: { phash, phashMask, gradient, gradientMask, cells }, ... } }`. */
export const FingerprintSchema = z.object({
  version: z.number().int().positive(),
  views: z.object(
    Object.fromEntries(VIEW_NAMES.map((name) => [name, ViewHashesSchema])) as Record<
      ViewName,
      typeof ViewHashesSchema
    >,
  ),
});
