/** The typed Worker environment: the bindings of wrangler.toml plus the secrets and optional vars. */
import type { PicassoDurableObject } from "../durable-objects/picasso.do";
import type { JobWorkflowParams } from "../workflows/picasso.workflow";

/**
 * `wrangler types` marks bindings that the preview environment lacks as optional, and types every
 * secret of `.dev.vars.example` as always present. Production always has the bindings and may lack a
 * secret, so the app states both here, once, instead of at every use.
 */
type GeneratedEnv = Cloudflare.Env;

/** Secrets (`wrangler secret put` / `.dev.vars`) and optional vars that are not in wrangler.toml. */
export interface SecretsAndVars {
  /** Comma-separated API keys accepted in `X-Api-Key`. No key configured means writes are refused. */
  API_KEYS?: string;
  /** `development` relaxes start-image ingest to allow http: and loopback (local only). */
  ENVIRONMENT?: string;
  /** `true` calls the AI binding under local development too (a remote dev session); see src/lib/ai.ts. */
  AI_REMOTE?: string;
  /** Comma-separated origins allowed to call the API from a browser (CORS). Unset: no CORS headers at all. */
  CORS_ORIGINS?: string;
  RATE_LIMIT_BURST?: string;
  /** Sockets one session's stream accepts at once (default 1000); past it: close code 1013. */
  STREAM_MAX_SOCKETS?: string;
  RATE_LIMIT_REFILL_SECONDS?: string;
  /** Artificial latency and failure rate of the offline `local` provider (tests, benchmarks). */
  LOCAL_PROVIDER_DELAY_MS?: string;
  LOCAL_PROVIDER_FAIL_RATE?: string;
  /** How long a running job's workflow may go without a heartbeat before it is reconciled (ms, default 30000). */
  JOB_STALE_MS?: string;
  /** `whsec_…` secret(s) that sign webhook deliveries (Standard Webhooks); several, space-separated, to rotate. */
  WEBHOOK_SECRET?: string;
  /** How many times a webhook message is tried before it is marked failed (default 8). */
  WEBHOOK_MAX_ATTEMPTS?: string;
  /** e.g. `https://imagedelivery.net/<account-hash>`: new progressions are also uploaded to hosted Images. */
  IMAGES_DELIVERY_URL?: string;
  /** How long a JSON request body may take to arrive, in ms (default 10000): slower is a 400. */
  BODY_TIMEOUT_MS?: string;
  /** Days raw view rows (address, city, user agent) are kept before folding into daily counts (default 90, at least 2). */
  VIEW_RETENTION_DAYS?: string;
  /** Benchmarks only: share of view-log batches that fail before writing (0..1). */
  VIEW_LOG_FAIL_RATE?: string;
  /** Benchmarks only: `1` meters D1 (rows read/written from each statement's meta) and logs one `d1` line per request (src/db/meter.ts). */
  D1_METER?: string;
  OPENAI_API_KEY?: string;
  GEMINI_API_KEY?: string;
  /** Another OpenAI-compatible origin, e.g. `https://gateway.ai.cloudflare.com/v1/{account}/{gateway}/openai`. */
  OPENAI_BASE_URL?: string;
  /** OpenAI image model (default `gpt-image-1`). */
  OPENAI_IMAGE_MODEL?: string;
  /** Another Gemini API origin, e.g. `https://gateway.ai.cloudflare.com/v1/{account}/{gateway}/google-ai-studio`. */
  GEMINI_BASE_URL?: string;
  /** Gemini image model (default `gemini-2.5-flash-image`). */
  GEMINI_IMAGE_MODEL?: string;
  /** Workers AI text-to-image model (default `@cf/black-forest-labs/flux-1-schnell`). */
  WORKERS_IMAGE_MODEL?: string;
  /** Workers AI image-to-image model (default `@cf/runwayml/stable-diffusion-v1-5-img2img`). */
  WORKERS_IMG2IMG_MODEL?: string;
  /** Cost estimates: JSON of USD per image by `provider` or `provider:model`, over the built-in table (src/jobs/cost.ts). */
  PRICES_JSON?: string;
  /** Workers AI inpainting model (default `@cf/runwayml/stable-diffusion-v1-5-inpainting`). */
  WORKERS_INPAINT_MODEL?: string;
  /** Per-call timeout of the live providers in ms (default 60000). */
  PROVIDER_TIMEOUT_MS?: string;
}

export type AppEnv = Omit<
  GeneratedEnv,
  | "USER_PREFERENCES"
  | "AGENTIC_MEMORIES"
  | "PICASSO_QUEUE"
  | "AI"
  | "IMAGES"
  | "PICASSO_DO"
  | "PICASSO_WORKFLOW"
  | keyof SecretsAndVars
> &
  SecretsAndVars & {
    USER_PREFERENCES: KVNamespace;
    AGENTIC_MEMORIES: KVNamespace;
    PICASSO_QUEUE: Queue;
    AI: Ai;
    IMAGES: ImagesBinding;
    /** The DO binding's script_name is this worker, so `wrangler types` loses the class generic. */
    PICASSO_DO: DurableObjectNamespace<PicassoDurableObject>;
    PICASSO_WORKFLOW: Workflow<JobWorkflowParams>;
  };
