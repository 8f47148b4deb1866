// How a benchmark script hands its figures to `npm run bench` (bench/run.mjs): one machine-readable
// line per script, `BENCH_JSON [rows]`, each row { figure, goal, measured, floor, ratio, met }.
export function emit(rows) {
  console.log(`BENCH_JSON ${JSON.stringify(rows)}`);
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export const percentile = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};
