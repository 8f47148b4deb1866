/**
 * Every tunable number of near-duplicate detection, in one place. They were tuned on generated
 * photo-like corpora (gradient sky, blurred shapes, grain): `test/near-duplicate.test.ts` prints the
 * recall per copy kind and the closest sibling / distinct scores; change a number only with that test.
 *
 * Measured margins (score = the best view pair's largest distance / its threshold; ≤ 1 is a duplicate):
 * the copy kinds of issue 14 score ≤ 0.42, siblings (same sky, other shapes) ≥ 1.57 and distinct
 * pictures ≥ 2.9 (720 sibling and 28,680 distinct pairs); off-table copies (1–7% crops, 1–3°
 * rotations, 8–15% captions, other bars, white mats, ±20% brightness, gamma) still score < 1.
 */

/** Bumped whenever a change below alters stored hashes: fingerprints of another version never match. */
export const FINGERPRINT_VERSION = 1;

// --- geometry ------------------------------------------------------------------------------------

/** Side of the square luma grid the trimmed content is area-averaged onto before views are sampled. */
export const WORK_SIDE = 64;
/** Side of one view (the DCT input of its pHash); each view pixel averages 2×2 bilinear samples. */
export const VIEW_SIDE = 32;
/** Side of the chroma grids (Cb, Cr) the cell layout of each view samples its chroma from. */
export const CHROMA_SIDE = 16;

/**
 * Uniform borders (letterbox/pillarbox bars, mats, frames) are trimmed before hashing. A row or column
 * is border while every pixel stays within `TRIM_TOLERANCE` (0..255, per RGB channel) of the outermost
 * line's mean colour, and the outermost line itself is that uniform.
 */
export const TRIM_TOLERANCE = 10;
/** A border must end at an edge: a line right after it differs from its colour by this much on average. */
export const TRIM_EDGE = 24;
/** At most this fraction of a side is trimmed: an image that is mostly flat keeps its content. */
export const TRIM_MAX_FRACTION = 0.3;
/**
 * Opposite borders are trimmed only as a pair (same colour, lengths within this fraction of the longer
 * one, at least one rendition pixel each): bars come in pairs, while a one-sided band is usually
 * a caption or part of the picture and must not shift the geometry.
 */
export const TRIM_PAIR_SLACK = 0.35;

/** Rotation of the `rotate-cw`/`rotate-ccw` views, degrees: the rotated-and-cropped-to-fill copies they undo. */
export const ROTATION_DEGREES = 2;
/** Kept fraction of each side in the `crop96`/`crop93`/`crop90` views (2%, 3.5% and 5% cut per side). */
export const CROP_SCALES = { crop96: 0.96, crop93: 0.93, crop90: 0.9 } as const;
/** Kept top fraction of the `top` view: a caption band over the bottom 12% (up to ~15%) falls outside it. */
export const TOP_FRACTION = 0.84;

// --- the three families and the decision ---------------------------------------------------------

/**
 * A hash bit counts only when its value lies at least this fraction of the view's median margin away
 * from the bit's threshold (the pHash median, or 0 for a gradient): near-ties flip under re-encoding.
 */
export const DEAD_ZONE = 0.25;
/** Below this fraction of bits reliable in both images, a hash family gives no evidence (half differ). */
export const MIN_COMPARED_FRACTION = 0.35;

/** The cell layout of a view: luma, Cb and Cr means over CELL_GRID × CELL_GRID cells. */
export const CELL_GRID = 8;
/** Luma standard deviation floor (levels) for z-scoring cells, so a flat view's noise stays small. */
export const CELL_MIN_STD = 8;
/** A cell changed when its z-scored luma moved by more than this many standard deviations... */
export const CELL_LUMA_CHANGE = 0.5;
/** ...or either chroma by more than this many levels (0..255, brightness-normalised). */
export const CELL_CHROMA_CHANGE = 10;

/**
 * The decision: a pair of views (the query's and a stored image's) matches when all three families
 * agree: the pHash (64-bit DCT) within `MATCH_PHASH` of 64 bits, the gradient hash (128-bit dHash)
 * within `MATCH_GRADIENT` of 128 bits (both masked distances rescaled to all bits), and at most
 * `MATCH_CELLS` of the cells changed. Siblings fail on the cells: their shapes change 19% or more.
 */
export const MATCH_PHASH = 10;
export const MATCH_GRADIENT = 24;
export const MATCH_CELLS = 0.12;

// --- the bounded lookup --------------------------------------------------------------------------

/**
 * Each view's pHash is cut into `BAND_COUNT` bands of 64 / BAND_COUNT bits; a stored image is a
 * candidate when one band of one of its views equals a band of a query view, or (for the
 * BAND_NEAR_VIEWS) one with `BAND_PROBE_RADIUS` bit flipped: every pair of views within 7 raw bits
 * is then found (pigeonhole: some band differs in at most one bit). Radius 0 everywhere missed copies
 * just outside the table (6–7% crops, an 18% caption); 3 bands missed some even at radius 1.
 */
export const BAND_COUNT = 4;
export const BAND_PROBE_RADIUS = 1;
/**
 * The query views probed at BAND_PROBE_RADIUS; the others are probed exactly. Every compared pair
 * has a `full` view on one side (or is `top`/`top`), so these two carry the tolerance, at a third
 * of the index reads of probing all seven.
 */
export const BAND_NEAR_VIEWS = ["full", "top"] as const;
/** A probed key equal to a band of the query itself counts this many hits; a one-bit neighbour counts 1. */
export const BAND_EXACT_WEIGHT = 4;
/** Candidates fetched per lookup, most (weighted) band hits first; only these are compared in full. */
export const MAX_CANDIDATES = 48;
