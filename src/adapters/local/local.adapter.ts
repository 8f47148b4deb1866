/** The `local` provider: offline SVG compositions rasterized by the Images binding, for dev and tests. */
import { z } from "zod";
import { imagesGate } from "../../lib/concurrency";
import type { AppEnv } from "../../lib/env";
import { isTransientPlatformError } from "../../lib/transient";
import {
  IMAGE_OP_KINDS,
  type ImageOp,
  type ProviderAdapter,
  ProviderError,
  type ProviderResult,
} from "../provider.types";
import { unavailableIf } from "../shared";
import { type EditKind, editSize, renderEditSvg, renderSvg, SVG_SIZE } from "./render-svg";
import { hashBytes, hashString, toHex32, unitFromString } from "./seeded-random";

/** Model name reported in `providerMeta`; bump it when the rendering changes. */
export const LOCAL_MODEL = "local-svg-v2";
/** Start images are downscaled so their longer side is at most this before embedding. */
const MAX_START_SIDE = 1024;
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

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new Blob([bytes]).stream();
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/** Rasterizes an SVG to PNG through the Images binding. */
async function rasterize(env: AppEnv, svg: string): Promise<Uint8Array> {
  try {
    const result = await env.IMAGES.input(streamOf(new TextEncoder().encode(svg))).output({
      format: "image/png",
    });
    return await readAll(result.image());
  } catch (error) {
    // A lost connection to the Images service under load is passing: the step retries it.
    throw new ProviderError(`local provider: rendering failed (${errorMessage(error)})`, {
      retryable: isTransientPlatformError(error),
    });
  }
}

/** The start image as a PNG `data:` URI, downscaled to at most MAX_START_SIDE on its longer side. */
async function startImageDataUri(env: AppEnv, bytes: Uint8Array): Promise<string> {
  try {
    const info = await env.IMAGES.info(streamOf(bytes));
    let transformer = env.IMAGES.input(streamOf(bytes));
    if ("width" in info && Math.max(info.width, info.height) > MAX_START_SIDE) {
      // One dimension only: the aspect ratio is kept (the SVG crops it to a square itself).
      transformer = transformer.transform(
        info.width >= info.height ? { width: MAX_START_SIDE } : { height: MAX_START_SIDE },
      );
    }
    const png = await readAll((await transformer.output({ format: "image/png" })).image());
    return `data:image/png;base64,${toBase64(png)}`;
  } catch (error) {
    throw new ProviderError(`local provider: start image is not a readable image (${errorMessage(error)})`, {
      retryable: isTransientPlatformError(error),
    });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isEditKind(kind: ImageOp["kind"]): kind is EditKind {
  return kind !== "generate";
}

/** The composition seed: the prompt, plus the kind and start image fingerprint for edit-type ops. */
function seedFor(op: ImageOp): string {
  const image = op.startImage ? `:${toHex32(hashBytes(op.startImage.bytes))}` : "";
  return toHex32(hashString(`${LOCAL_MODEL}:${op.kind}:${op.prompt}${image}`));
}

/**
 * The offline provider: no keys, no network, deterministic output. `generate` renders an abstract
 * composition of the prompt; edit-type ops embed the start image's pixels and change them per kind
 * (`upscale` gives 1024×1024). Honours LOCAL_PROVIDER_DELAY_MS and LOCAL_PROVIDER_FAIL_RATE.
 */
export const localAdapter: ProviderAdapter = {
  id: "local",
  supports: IMAGE_OP_KINDS,
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
    let svg: string;
    let size: number;
    if (isEditKind(kind) && op.startImage) {
      const start = op.startImage.bytes;
      const imageHref = await imagesGate.run(() => startImageDataUri(env, start));
      svg = renderEditSvg({ kind, prompt: op.prompt, variantIndex: op.variantIndex, seed, imageHref });
      size = editSize(kind);
    } else {
      svg = renderSvg(op.prompt, op.variantIndex, seed);
      size = SVG_SIZE;
    }
    const bytes = await imagesGate.run(() => rasterize(env, svg));
    return {
      bytes,
      contentType: "image/png",
      providerMeta: {
        mode: "offline",
        model: LOCAL_MODEL,
        latencyMs: Date.now() - started,
        width: size,
        height: size,
        seed,
      },
    };
  },
};
