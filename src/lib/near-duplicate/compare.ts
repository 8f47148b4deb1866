/** The near-duplicate decision: the best-aligned pair of views of two fingerprints must agree on all three families. */
import type { Fingerprint, ViewName } from "./fingerprint";
import { VIEW_NAMES } from "./fingerprint";
import { changedCells, hexBytes, hexWords, maskedDistance } from "./hashes";
import { MATCH_CELLS, MATCH_GRADIENT, MATCH_PHASH, MIN_COMPARED_FRACTION } from "./thresholds";

export interface Comparison {
  /** True when the best pair of views is within MATCH_PHASH, MATCH_GRADIENT and MATCH_CELLS. */
  duplicate: boolean;
  /**
   * The best pair's distances: `phash` (bits of 64) and `gradient` (bits of 128), masked Hamming
   * distances rescaled to all bits, and `cells`, the fraction (0..1) of the 8×8 cells that changed.
   */
  distances: Record<string, number>;
  /** The best pair's largest distance as a fraction of its threshold: a duplicate at ≤ 1, lower is closer. */
  score: number;
  /** Which view of each image formed the best pair (e.g. the query's `full` against a stored `crop90`). */
  views: { query: ViewName; stored: ViewName };
}

/**
 * The view pairs worth comparing. One side is always the whole content (`full`), since a copy is one
 * re-framing of its original, in either direction: the original stored and a cropped copy arriving
 * (query `full` ~ stored `crop90`) or the other way round (query `crop90` ~ stored `full`). The `top`
 * views also meet each other, so a caption on either image falls outside both.
 */
const PAIRS: readonly [ViewName, ViewName][] = [
  ...VIEW_NAMES.map((name): [ViewName, ViewName] => ["full", name]),
  ...VIEW_NAMES.filter((name) => name !== "full").map((name): [ViewName, ViewName] => [name, "full"]),
  ["top", "top"],
];

interface Words {
  phash: Uint32Array;
  phashMask: Uint32Array;
  gradient: Uint32Array;
  gradientMask: Uint32Array;
  cells: Uint8Array;
}

// Compared against many candidates per lookup: decode each fingerprint's hex once.
const wordCache = new WeakMap<Fingerprint, Record<ViewName, Words>>();

function words(fingerprint: Fingerprint): Record<ViewName, Words> {
  const cached = wordCache.get(fingerprint);
  if (cached) return cached;
  const entries = VIEW_NAMES.map((name): [ViewName, Words] => {
    const view = fingerprint.views[name];
    return [
      name,
      {
        phash: hexWords(view.phash),
        phashMask: hexWords(view.phashMask),
        gradient: hexWords(view.gradient),
        gradientMask: hexWords(view.gradientMask),
        cells: hexBytes(view.cells),
      },
    ];
  });
  const decoded = Object.fromEntries(entries) as Record<ViewName, Words>;
  wordCache.set(fingerprint, decoded);
  return decoded;
}

/**
 * Compares a new image's fingerprint (`query`) with a stored one. Each pair's score is the largest of
 * its three distances as a fraction of its threshold, so a pair matches only when all families agree;
 * the pair with the lowest score is reported, matching or not. Fingerprints of different versions
 * never match (their hashes mean different things).
 */
export function compareFingerprints(query: Fingerprint, stored: Fingerprint): Comparison {
  const q = words(query);
  const s = words(stored);
  let best = {
    score: Number.POSITIVE_INFINITY,
    phash: 64,
    gradient: 128,
    cells: 1,
    pair: PAIRS[0] ?? ["full", "full"],
  };
  for (const pair of PAIRS) {
    const [qv, sv] = [q[pair[0]], s[pair[1]]];
    const phash = maskedDistance(qv.phash, qv.phashMask, sv.phash, sv.phashMask, MIN_COMPARED_FRACTION);
    const gradient = maskedDistance(
      qv.gradient,
      qv.gradientMask,
      sv.gradient,
      sv.gradientMask,
      MIN_COMPARED_FRACTION,
    );
    const cells = Math.round(changedCells(qv.cells, sv.cells) * 1000) / 1000;
    const score = Math.max(phash / MATCH_PHASH, gradient / MATCH_GRADIENT, cells / MATCH_CELLS);
    if (score < best.score) best = { score, phash, gradient, cells, pair };
  }
  return {
    duplicate: query.version === stored.version && best.score <= 1,
    distances: { phash: best.phash, gradient: best.gradient, cells: best.cells },
    score: Math.round(best.score * 1000) / 1000,
    views: { query: best.pair[0], stored: best.pair[1] },
  };
}
