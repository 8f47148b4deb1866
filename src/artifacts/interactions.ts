/**
 * Public interaction with published artifacts: comments on review boards and votes on voting decks.
 * Each is accepted only for its own artifact type, rate-limited per client address (IPv6 by its
 * /64, see src/views/client-key.ts; a bucket of its own, apart from job submission's), stored in D1,
 * and followed by a re-render so the page's next load (its cached copy purged) shows it.
 */
import { type ArtifactComment, countComments, insertComment } from "../db/artifact-comments";
import { castVote, type VoteTally, voteTally } from "../db/artifact-votes";
import { getArtifactBySlug } from "../db/artifacts";
import { takeRateToken } from "../lib/actor";
import type { AppEnv } from "../lib/env";
import { ApiError } from "../lib/errors";
import { sha256Hex } from "../lib/hashing";
import { newId } from "../lib/ids";
import type { Artifact } from "../types/domain";
import { clientKey } from "../views/client-key";
import { loadProjectData } from "./project-data";
import { optionsOf, publicUrl } from "./render";
import { boardImages } from "./review-board/generator";
import { rerenderArtifact } from "./service";
import type { GenerateInput } from "./types";
import { deckImages } from "./voting-deck/generator";

/** Tokens per request from the visitor's bucket (burst 30, one back every 2 s by default). */
export const COMMENT_COST = 3;
export const VOTE_COST = 1;
/** Re-renders after one write, at most: enough for concurrent writers to converge (see refreshPage). */
const MAX_REFRESHES = 3;

type InteractiveType = "review-board" | "voting-deck";
const WHAT: Record<InteractiveType, string> = {
  "review-board": "review board",
  "voting-deck": "voting deck",
};

/** The published artifact of `type` at `slug`; anything else is a 404 (comments and votes exist nowhere else). */
async function requireArtifact(env: AppEnv, slug: string, type: InteractiveType): Promise<Artifact> {
  const artifact = await getArtifactBySlug(env.DB, slug);
  if (artifact?.status !== "published" || artifact.type !== type) {
    throw new ApiError("not_found", `No published ${WHAT[type]} at this address`);
  }
  return artifact;
}

/**
 * The visitor's own bucket for public writes (`ip:public:<key>`, apart from job submission's
 * `ip:<ip>`), keyed by `clientKey`: an IPv6 visitor cannot dodge it by rotating through their /64.
 */
async function rateLimit(env: AppEnv, ip: string, cost: number, what: string): Promise<void> {
  const token = await takeRateToken(env, `public:${clientKey(ip)}`, cost);
  if (!token.allowed) {
    throw new ApiError(
      "rate_limited",
      `Too many ${what} from this address: retry in ${token.retryAfterSeconds} s`,
      {
        headers: { "Retry-After": String(token.retryAfterSeconds) },
      },
    );
  }
}

function inputOf(env: AppEnv, artifact: Artifact, origin: string): GenerateInput {
  return { env, artifact, options: optionsOf(artifact), origin, publicUrl: publicUrl(origin, artifact) };
}

/**
 * Re-renders until the page reflects every write so far. A render reads the data after `before` was
 * taken; if nothing was written meanwhile, its content is complete. Otherwise a concurrent writer's
 * render may have been overwritten by ours (or ours by an older one), so render again. Whichever
 * write comes last, its own handler renders after it, so the final page includes it.
 */
async function refreshPage(env: AppEnv, artifact: Artifact, origin: string, version: () => Promise<number>) {
  for (let i = 0; i < MAX_REFRESHES; i++) {
    const before = await version();
    await rerenderArtifact(env, artifact, origin);
    if ((await version()) === before) return;
  }
}

export interface NewComment {
  text: string;
  author?: string;
  x?: number;
  y?: number;
  progressionId?: string;
}

export async function addComment(
  env: AppEnv,
  origin: string,
  slug: string,
  ip: string,
  body: NewComment,
): Promise<ArtifactComment> {
  const artifact = await requireArtifact(env, slug, "review-board");
  await rateLimit(env, ip, COMMENT_COST, "comments");
  if (body.progressionId !== undefined) {
    const data = await loadProjectData(env, artifact.projectIds);
    const images = boardImages(data, inputOf(env, artifact, origin));
    if (!images.some((s) => s.progression.id === body.progressionId)) {
      throw new ApiError("invalid_request", "progressionId: not an image of this review board");
    }
  }
  const comment: ArtifactComment = {
    id: newId(),
    artifactId: artifact.id,
    progressionId: body.progressionId ?? null,
    author: body.author ? body.author : null,
    text: body.text,
    x: body.x ?? null,
    y: body.y ?? null,
    createdAt: Date.now(),
  };
  await insertComment(env.DB, comment);
  await refreshPage(env, artifact, origin, () => countComments(env.DB, artifact.id));
  return comment;
}

export interface VoteOutcome {
  /** false: this visitor had voted in the deck before; nothing changed. */
  counted: boolean;
  /** The image the visitor's vote counts for (their first choice when `counted` is false). */
  progressionId: string;
  votes: VoteTally;
}

/**
 * The voter key: a digest of deck and client key (an IPv4 address, or an IPv6 /64 prefix), so the
 * table never holds an address and one IPv6 subscriber votes once however many addresses they use.
 */
const voterOf = (artifactId: string, ip: string): Promise<string> =>
  sha256Hex(`vote:${artifactId}:${clientKey(ip)}`);

export async function vote(
  env: AppEnv,
  origin: string,
  slug: string,
  ip: string,
  progressionId: string,
): Promise<VoteOutcome> {
  const artifact = await requireArtifact(env, slug, "voting-deck");
  await rateLimit(env, ip, VOTE_COST, "votes");
  const data = await loadProjectData(env, artifact.projectIds);
  if (!deckImages(data, inputOf(env, artifact, origin)).some((s) => s.progression.id === progressionId)) {
    throw new ApiError("invalid_request", "progressionId: not an image of this voting deck");
  }
  const result = await castVote(env.DB, {
    artifactId: artifact.id,
    voter: await voterOf(artifact.id, ip),
    progressionId,
    createdAt: Date.now(),
  });
  if (result.counted) {
    await refreshPage(env, artifact, origin, async () => (await voteTally(env.DB, artifact.id)).total);
  }
  return { ...result, votes: await voteTally(env.DB, artifact.id) };
}

/** `GET /api/artifacts/:id/votes`: the deck's tally (404 for an artifact that is not a voting deck). */
export async function votesOf(env: AppEnv, artifact: Artifact): Promise<VoteTally> {
  if (artifact.type !== "voting-deck") throw new ApiError("not_found", "This artifact is not a voting deck");
  return voteTally(env.DB, artifact.id);
}
