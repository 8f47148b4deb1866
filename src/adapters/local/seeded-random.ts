/** A tiny deterministic PRNG (FNV-1a string hash feeding mulberry32) for the offline image provider. */

/** A seeded random source: every method advances the same stream, so call order matters. */
export interface SeededRandom {
  /** A float in [0, 1). */
  next(): number;
  /** A float in [min, max). */
  range(min: number, max: number): number;
  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly [T, ...T[]]): T;
}

/** FNV-1a over the UTF-16 code units of `text`: a stable unsigned 32-bit hash (not cryptographic). */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** FNV-1a over raw bytes, for fingerprinting a start image. */
export function hashBytes(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** An unsigned 32-bit number as 8 lowercase hex digits. */
export function toHex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, "0");
}

/** A uniform float in [0, 1) derived from a string alone (one hash, no stream). */
export function unitFromString(text: string): number {
  return mulberry32(hashString(text))();
}

/** mulberry32: a 32-bit state generator with good enough spread for layout decisions. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded random source for `seed`; the same seed always yields the same sequence. */
export function createRandom(seed: string): SeededRandom {
  const next = mulberry32(hashString(seed));
  const range = (min: number, max: number): number => min + (max - min) * next();
  return {
    next,
    range,
    int: (min, max) => Math.floor(range(min, max + 1)),
    pick: <T>(items: readonly [T, ...T[]]): T => items[Math.floor(next() * items.length)] ?? items[0],
  };
}
