// The per-image analysis (a provider PNG decoded and hashed in the Worker) vs one IMAGES.info() call
// on the same image, measured inside the Worker. Usage: node bench/image-cost.mjs [--rounds 30]
import { parseArgs } from "node:util";
import { startDevServer } from "./dev-server.mjs";
import { emit } from "./figures.mjs";
import { api } from "./helpers.mjs";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "30" } } });
const server = await startDevServer();
try {
  await api(server, "/api/dev/image-cost", { method: "POST", body: JSON.stringify({ rounds: 3 }) }); // warm-up
  const r = await api(server, "/api/dev/image-cost", {
    method: "POST",
    body: JSON.stringify({ rounds: Number(values.rounds) }),
  });
  // A provider PNG of at most 1 MP is analysed from its own pixels: decoded and hashed in the
  // Worker, with no Images call at all (src/agents/tools/images.ts). The rendition a non-PNG input
  // would need is shown next to it.
  emit([
    {
      figure:
        "per-image analysis of one 512 px PNG: decoded in the Worker, every hash (pHash, gradient, cells × 7 views) and the judge's stats, no Images call",
      goal: "≤ 2× one IMAGES.info() call on the same image",
      measured: `${r.analyzeMs.toFixed(1)} ms (medians of ${r.rounds})`,
      floor: `${r.infoMs.toFixed(1)} ms (IMAGES.info)`,
      ratio: r.analyzeMs / r.infoMs,
      met: r.analyzeMs / r.infoMs <= 2,
    },
    {
      figure: "for reference: the binding rendition a non-PNG (or > 1 MP) input needs first",
      goal: "—",
      measured: `${r.renditionMs.toFixed(1)} ms`,
      floor: `${r.infoMs.toFixed(1)} ms (IMAGES.info)`,
      ratio: r.renditionMs / r.infoMs,
      met: true,
    },
  ]);
} finally {
  server.stop();
}
