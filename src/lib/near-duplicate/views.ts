/** Views: affine re-framings of an image's content (crops, rotations, the part above a caption), sampled. */
import type { Grid } from "./grids";

/**
 * An affine map from a view coordinate (s, t) to a content coordinate (u, v), all in [0, 1]:
 * u = u0 + us·s + ut·t and v = v0 + vs·s + vt·t.
 */
export interface Affine {
  u0: number;
  us: number;
  ut: number;
  v0: number;
  vs: number;
  vt: number;
}

export const IDENTITY: Affine = { u0: 0, us: 1, ut: 0, v0: 0, vs: 0, vt: 1 };

/** The central `scale` of the content, scaled back to the whole view (a crop-and-resize copy). */
export const cropView = (scale: number): Affine => ({
  u0: 0.5 - 0.5 * scale,
  us: scale,
  ut: 0,
  v0: 0.5 - 0.5 * scale,
  vs: 0,
  vt: scale,
});

/**
 * The content rotated by `degrees` and cropped to fill, as a rotated copy looks: each view point shows
 * the content at the inverse rotation, shrunk by cos + sin so no corner leaves the picture.
 */
export function rotateView(degrees: number): Affine {
  const rad = (degrees * Math.PI) / 180;
  const shrink = 1 / (Math.cos(rad) + Math.sin(Math.abs(rad)));
  const cos = Math.cos(rad) * shrink;
  const sin = Math.sin(rad) * shrink;
  // (u, v) - ½ = shrink · R(-θ) · ((s, t) - ½)
  return { u0: 0.5 - 0.5 * (cos + sin), us: cos, ut: sin, v0: 0.5 - 0.5 * (cos - sin), vs: -sin, vt: cos };
}

/** The top `fraction` of the content stretched over the view: what is left above a caption band. */
export const topView = (fraction: number): Affine => ({ u0: 0, us: 1, ut: 0, v0: 0, vs: 0, vt: fraction });

/**
 * A `side` × `side` view of a grid through `map`; each view pixel is the mean of `samples` ×
 * `samples` bilinear samples spread over it. Content coordinates outside [0, 1] are clamped to the
 * edge (a rotated view's corners reach just past it).
 */
export function sampleView(grid: Grid, map: Affine, side: number, samples: number): Float64Array {
  const { values, side: n } = grid;
  const { u0, us, ut, v0, vs, vt } = map;
  const out = new Float64Array(side * side);
  const step = 1 / (side * samples);
  const max = n - 1;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      let sum = 0;
      for (let j = 0; j < samples; j++) {
        const t = (y * samples + j + 0.5) * step;
        for (let i = 0; i < samples; i++) {
          const s = (x * samples + i + 0.5) * step;
          const fx = Math.min(max, Math.max(0, (u0 + us * s + ut * t) * n - 0.5));
          const fy = Math.min(max, Math.max(0, (v0 + vs * s + vt * t) * n - 0.5));
          const x0 = Math.min(max - 1, Math.floor(fx));
          const y0 = Math.min(max - 1, Math.floor(fy));
          const dx = fx - x0;
          const dy = fy - y0;
          const at = y0 * n + x0;
          const top = (values[at] ?? 0) * (1 - dx) + (values[at + 1] ?? 0) * dx;
          const bottom = (values[at + n] ?? 0) * (1 - dx) + (values[at + n + 1] ?? 0) * dx;
          sum += top * (1 - dy) + bottom * dy;
        }
      }
      out[y * side + x] = sum / (samples * samples);
    }
  }
  return out;
}
