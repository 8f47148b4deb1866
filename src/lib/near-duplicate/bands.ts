/** Band keys for the bounded lookup: equal bands of two pHashes make a stored image a candidate. */
import { type Fingerprint, VIEW_NAMES } from "./fingerprint";
import { BAND_COUNT, BAND_NEAR_VIEWS, BAND_PROBE_RADIUS } from "./thresholds";

const BAND_BITS = 64 / BAND_COUNT;
const HEX_PER_BAND = BAND_BITS / 4;

/** `version << 20 | band << 16 | value`: one integer per band, distinct across versions and bands. */
const key = (version: number, band: number, value: number) =>
  version * 2 ** 20 + band * 2 ** BAND_BITS + value;

function bands(phash: string): number[] {
  return Array.from({ length: BAND_COUNT }, (_, b) =>
    Number.parseInt(phash.slice(b * HEX_PER_BAND, (b + 1) * HEX_PER_BAND), 16),
  );
}

/** The distinct band keys a stored fingerprint is filed under: every band of every view's pHash. */
export function storedBandKeys(fingerprint: Fingerprint): number[] {
  const keys = new Set<number>();
  for (const name of VIEW_NAMES) {
    bands(fingerprint.views[name].phash).forEach((value, b) => {
      keys.add(key(fingerprint.version, b, value));
    });
  }
  return [...keys].sort((a, b) => a - b);
}

/**
 * The keys a lookup probes: `exact`, every band of every view's pHash (the stored keys of the query
 * itself), and `near`, with BAND_PROBE_RADIUS 1 the bands of the BAND_NEAR_VIEWS with one bit
 * flipped. A stored view within 2 · BAND_COUNT − 1 bits of the query's `full` or `top` view is
 * always found (some band then differs in at most one bit), any other pair within BAND_COUNT − 1.
 * Exact hits weigh BAND_EXACT_WEIGHT when candidates are ranked: a true copy shares many.
 */
export function probeBandKeys(fingerprint: Fingerprint): { exact: number[]; near: number[] } {
  const exact = storedBandKeys(fingerprint);
  const exactSet = new Set(exact);
  const near = new Set<number>();
  if (BAND_PROBE_RADIUS >= 1) {
    for (const name of BAND_NEAR_VIEWS) {
      bands(fingerprint.views[name].phash).forEach((value, b) => {
        for (let bit = 0; bit < BAND_BITS; bit++) {
          const flipped = key(fingerprint.version, b, value ^ (1 << bit));
          if (!exactSet.has(flipped)) near.add(flipped);
        }
      });
    }
  }
  return { exact, near: [...near].sort((a, b) => a - b) };
}
