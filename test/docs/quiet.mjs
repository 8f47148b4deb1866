// What "a quiet terminal" means, checked on a real `wrangler dev`'s output by docs:check and the
// console e2e: a healthy run prints no exception dump (workerd's "uncaught exception", a JS stack),
// no "Aborting engine" (a terminated workflow) and no Request.cf download attempt.
/** Lines in wrangler dev's output that a healthy run must not print. */
export const ALARMING = [
  /uncaught exception/i,
  /Uncaught (\(in promise\) )?\w*Error/,
  /Aborting engine/,
  /Unable to fetch the `Request\.cf` object/,
  /^\s+at .+:\d+:\d+\)?$/m,
];

/** The lines of `output` that match ALARMING (each with the line before it for context). */
export function alarmingLines(output) {
  const lines = output.split("\n");
  return lines.flatMap((line, i) =>
    ALARMING.some((re) => re.test(line)) ? [`${lines[i - 1] ?? ""}\n${line}`] : [],
  );
}
