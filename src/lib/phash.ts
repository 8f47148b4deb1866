/** The 64-bit DCT perceptual hash (pHash) and its Hamming distance, for near-duplicate detection. */

/** Two images whose pHashes differ in at most this many bits are treated as the same picture. */
export const DEFAULT_PHASH_THRESHOLD = 6;

const N = 32;
const LOW = 8;
/** Coefficients within rounding noise of the median count as equal, so a flat field hashes stably. */
const TIE = 1e-6;

/** Orthonormal DCT-II basis for the 8 lowest frequencies: BASIS[u * N + x] = c(u) cos((2x + 1)uπ / 2N). */
const BASIS = (() => {
  const basis = new Float64Array(LOW * N);
  for (let u = 0; u < LOW; u++) {
    const scale = u === 0 ? Math.sqrt(1 / N) : Math.sqrt(2 / N);
    for (let x = 0; x < N; x++) basis[u * N + x] = scale * Math.cos(((2 * x + 1) * u * Math.PI) / (2 * N));
  }
  return basis;
})();

/**
 * The 8×8 lowest-frequency coefficients of the orthonormal 2D DCT-II of a 32×32 luminance image
 * (row-major input; output `coeffs[v * 8 + u]`, DC first). Separable: rows first, then columns.
 */
export function lowDct8(luma: Float64Array): Float64Array {
  if (luma.length !== N * N)
    throw new Error(`phashFromLuma32 needs ${N * N} luma values, got ${luma.length}`);
  const rowDct = new Float64Array(N * LOW);
  for (let y = 0; y < N; y++) {
    for (let u = 0; u < LOW; u++) {
      let sum = 0;
      for (let x = 0; x < N; x++) sum += (luma[y * N + x] ?? 0) * (BASIS[u * N + x] ?? 0);
      rowDct[y * LOW + u] = sum;
    }
  }
  const coeffs = new Float64Array(LOW * LOW);
  for (let v = 0; v < LOW; v++) {
    for (let u = 0; u < LOW; u++) {
      let sum = 0;
      for (let y = 0; y < N; y++) sum += (rowDct[y * LOW + u] ?? 0) * (BASIS[v * N + y] ?? 0);
      coeffs[v * LOW + u] = sum;
    }
  }
  return coeffs;
}

/** The median of the 63 AC terms of `lowDct8`: the pHash's bit threshold. */
export function acMedian(coeffs: Float64Array): number {
  // A typed-array copy sorts numerically without a comparator callback.
  const acTerms = coeffs.slice(1).sort();
  return acTerms[(acTerms.length - 1) / 2] ?? 0;
}

/** Whether coefficient `value` sets its pHash bit (greater than the median beyond rounding noise). */
export const phashBit = (value: number, median: number): boolean => value - median > TIE;

/**
 * The standard 64-bit pHash of a 32×32 luminance image (row-major): the 2D DCT-II, its top-left 8×8
 * coefficients, each compared with the median of those 64 minus the DC term; a bit is 1 when the
 * coefficient is greater. Bits run row by row, most significant first, as 16 lowercase hex chars.
 */
export function phashFromLuma32(luma: Float64Array): string {
  const coeffs = lowDct8(luma);
  const median = acMedian(coeffs);
  let hex = "";
  for (let nibble = 0; nibble < 16; nibble++) {
    let value = 0;
    for (let bit = 0; bit < 4; bit++)
      value = (value << 1) | (phashBit(coeffs[nibble * 4 + bit] ?? 0, median) ? 1 : 0);
    hex += value.toString(16);
  }
  return hex;
}

const HASH_PATTERN = /^[0-9a-f]{16}$/i;

/** The number of differing bits (0..64) between two pHashes; throws unless both are 16 hex chars. */
export function hammingDistance(a: string, b: string): number {
  for (const hash of [a, b]) {
    if (!HASH_PATTERN.test(hash))
      throw new Error(`Malformed pHash ${JSON.stringify(hash)}: need 16 hex chars`);
  }
  let distance = 0;
  // Two 32-bit halves: JavaScript bitwise operators work on 32-bit integers.
  for (const start of [0, 8]) {
    let x =
      (Number.parseInt(a.slice(start, start + 8), 16) ^ Number.parseInt(b.slice(start, start + 8), 16)) >>> 0;
    while (x !== 0) {
      x &= x - 1;
      distance++;
    }
  }
  return distance;
}
