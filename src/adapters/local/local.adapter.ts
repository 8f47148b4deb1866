/** The `local` provider: offline SVG compositions rasterized by the Images binding, for dev and tests. */
import { z } from "zod";
import { Gate } from "../../lib/concurrency";
import type { AppEnv } from "../../lib/env";
import type { GenerationSpec, ProviderCapabilities } from "../params";
import {
  IMAGE_OP_KINDS,
  type ImageOp,
  type ProviderAdapter,
  ProviderError,
  type ProviderResult,
} from "../provider.types";
import { unavailableIf } from "../shared";
import { rasterize, startImageDataUri } from "./binding";
import { type EditContext, type EditResult, edit, inpaint, outpaint, upscale, variation } from "./edits";
import { exclusionsOf } from "./negative";
import { type EditKind, editSize, renderEditSvg, renderSvg, SVG_SIZE } from "./render-svg";
import { hashBytes, hashString, toHex32, unitFromString } from "./seeded-random";
import { generateSize } from "./sizes";

/** The one model (reported in `providerMeta` and `report`, published in `capabilities`); bump it when the rendering changes. */
export const LOCAL_MODEL = "local-svg-v3";
const MAX_DELAY_MS = 60_000;

/** Optional vars read from the env (strings, as wrangler passes them). */
const LocalVarsSchema = z.object({
  LOCAL_PROVIDER_DELAY_MS: z.coerce.number().int().min(0).max(MAX_DELAY_MS).default(0),
  LOCAL_PROVIDER_FAIL_RATE: z.coerce.number().min(0).max(1).default(0),
});

/** The provider's knobs: artificial latency and failure injection. */
export interface LocalProviderVars {
  delayMs: number;
  failRate: number;
}

/** Parses `LOCAL_PROVIDER_DELAY_MS` (0..60000, default 0) and `LOCAL_PROVIDER_FAIL_RATE` (0..1, default 0). */
export function readLocalVars(env: AppEnv): LocalProviderVars {
  const parsed = LocalVarsSchema.safeParse(env);
  if (!parsed.success) {
    throw new ProviderError(
      `local provider: misconfigured (LOCAL_PROVIDER_DELAY_MS must be 0..${MAX_DELAY_MS}, LOCAL_PROVIDER_FAIL_RATE 0..1)`,
      { retryable: false },
    );
  }
  return { delayMs: parsed.data.LOCAL_PROVIDER_DELAY_MS, failRate: parsed.data.LOCAL_PROVIDER_FAIL_RATE };
}

/**
 * Whether an op fails under `failRate`. Deterministic, not random: a hash of (kind, prompt,
 * variantIndex) against the rate, independent of the attempt. So with 0 < rate < 1 the same variants
 * fail on every run and every retry (reproducible partial failures and exhausted retries); rate 1
 * fails everything, rate 0 nothing.
 */
export function injectsFailure(op: ImageOp, failRate: number): boolean {
  return unitFromString(`fail:${op.kind}:${op.variantIndex}:${op.prompt}`) < failRate;
}

function isEditKind(kind: ImageOp["kind"]): kind is EditKind {
  return kind !== "generate";
}

/** The composition seed: the prompt, plus the kind and start image fingerprint for edit-type ops. */
function seedFor(op: ImageOp): string {
  const image = op.startImage ? `:${toHex32(hashBytes(op.startImage.bytes))}` : "";
  return toHex32(hashString(`${LOCAL_MODEL}:${op.kind}:${op.prompt}${image}`));
}

/** Every parameter is honoured as asked (see edits.ts, sizes.ts, masks.ts, negative.ts). */
export const LOCAL_CAPABILITIES: ProviderCapabilities = {
  parameters: {
    aspectRatio: "native",
    seed: "native",
    negativePrompt: "native",
    strength: "native",
    model: "native",
    mask: "native",
    outpaint: "native",
    upscale: "native",
  },
  models: [LOCAL_MODEL],
  sizes: "any",
};

/** Spec-path edits hold decoded pixels: one at a time per isolate (their binding calls use imagesGate). */
const pixelGate = new Gate(1);

/** What one call made: its bytes and size, and the seed that varied it. */
interface Made extends EditResult {
  seed: number;
}

const SPEC_EDITS: Record<EditKind, (ctx: EditContext, start: Uint8Array) => Promise<EditResult>> = {
  edit,
  inpaint,
  outpaint,
  variation,
  upscale,
};

/** Without a spec (older callers): as before parameters existed, varied by the variant index. */
async function makeLegacy(op: ImageOp, env: AppEnv, seed: string): Promise<Made> {
  const kind = op.kind;
  if (isEditKind(kind) && op.startImage) {
    const imageHref = await startImageDataUri(env, op.startImage.bytes);
    const svg = renderEditSvg({ kind, prompt: op.prompt, variantIndex: op.variantIndex, seed, imageHref });
    const side = editSize(kind);
    return { bytes: await rasterize(env, svg), width: side, height: side, seed: op.variantIndex };
  }
  const svg = renderSvg(op.prompt, op.variantIndex, seed);
  return { bytes: await rasterize(env, svg), width: SVG_SIZE, height: SVG_SIZE, seed: op.variantIndex };
}

/** With a spec: varied by its seed, sized by its aspect ratio / margins / factor, edits exact in pixels. */
async function makeWithSpec(op: ImageOp, spec: GenerationSpec, env: AppEnv, seed: string): Promise<Made> {
  if (spec.model !== undefined && spec.model !== LOCAL_MODEL) {
    throw new ProviderError(`local provider: no model '${spec.model}' (it has ${LOCAL_MODEL})`, {
      retryable: false,
    });
  }
  const exclusions = exclusionsOf(spec.negativePrompt);
  const kind = op.kind;
  if (isEditKind(kind) && op.startImage) {
    const ctx: EditContext = { env, prompt: op.prompt, spec, seed, exclusions };
    const start = op.startImage.bytes;
    // One in-memory edit at a time per isolate: each may hold up to ~64 MB (see MAX_WORK_PIXELS).
    return { ...(await pixelGate.run(() => SPEC_EDITS[kind](ctx, start))), seed: spec.seed };
  }
  const size = generateSize(spec.aspectRatio);
  const svg = renderSvg(op.prompt, spec.seed, seed, { ...size, exclusions });
  return { bytes: await rasterize(env, svg), ...size, seed: spec.seed };
}

/**
 * The offline provider: no keys, no network, deterministic output. `generate` renders an abstract
 * composition of the prompt; edit-type ops work on the start image's pixels. With `op.spec` every
 * parameter is honoured (seed, aspectRatio, negativePrompt, strength, mask, outpaint, upscale, its
 * one model); without it, the output is as before parameters existed. Honours
 * LOCAL_PROVIDER_DELAY_MS and LOCAL_PROVIDER_FAIL_RATE.
 */
export const localAdapter: ProviderAdapter = {
  id: "local",
  supports: IMAGE_OP_KINDS,
  capabilities: LOCAL_CAPABILITIES,
  unavailable: (env) => unavailableIf(() => readLocalVars(env)),
  async run(op: ImageOp, env: AppEnv): Promise<ProviderResult> {
    const started = Date.now();
    const vars = readLocalVars(env);
    const kind = op.kind;
    if (isEditKind(kind) && !op.startImage) {
      throw new ProviderError(`local provider: ${kind} needs a start image`, { retryable: false });
    }
    if (vars.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, vars.delayMs));
    if (injectsFailure(op, vars.failRate)) {
      throw new ProviderError(
        `local provider: injected failure (LOCAL_PROVIDER_FAIL_RATE=${vars.failRate})`,
        {
          retryable: true,
        },
      );
    }

    const seed = seedFor(op);
    const made = op.spec ? await makeWithSpec(op, op.spec, env, seed) : await makeLegacy(op, env, seed);
    const { width, height } = made;
    return {
      bytes: made.bytes,
      contentType: "image/png",
      providerMeta: {
        mode: "offline",
        model: LOCAL_MODEL,
        latencyMs: Date.now() - started,
        width,
        height,
        seed,
      },
      report: { width, height, seed: made.seed, model: LOCAL_MODEL, warnings: [] },
    };
  },
};
