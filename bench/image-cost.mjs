// The per-image analysis (perceptual hashes from one small rendition) vs one IMAGES.info() call on
// the same image, measured inside the Worker. Usage: node bench/image-cost.mjs [--rounds 30]
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
  const ratio = r.analyzeMs / r.infoMs;
  emit([
    {
      figure: "pHash (the whole per-image analysis: rendition + hashes + stats) of one 512 px image",
      goal: "≤ 2× one IMAGES.info() call on the same image",
      measured: `${r.analyzeMs.toFixed(1)} ms (median of ${r.rounds})`,
      floor: `${r.infoMs.toFixed(1)} ms (IMAGES.info)`,
      ratio,
      met: ratio <= 2,
    },
  ]);
} finally {
  server.stop();
}
