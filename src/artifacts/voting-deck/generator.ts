/**
 * The voting deck: a poll over the images. Visitors vote with POST /public/artifact/:slug/votes (one
 * vote per visitor IP per deck); the counts are rendered into the page, which is re-rendered and
 * purged from the cache after every counted vote. A fixed script posts the vote from the page.
 */
import { voteTally } from "../../db/artifact-votes";
import { escapeHtml } from "../../lib/html";
import { imgTag } from "../page-images";
import {
  commonValues,
  interactionPath,
  loadData,
  type PageData,
  projectNames,
  selectImages,
  stepAnchor,
  verdictBadge,
  withSizes,
} from "../page-kit";
import { scriptTag, VOTE_SCRIPT } from "../page-scripts";
import type { LineageStep, ProjectData } from "../project-data";
import type { ArtifactGenerator, GenerateInput } from "../types";
import template from "./template.html";

const DEFAULT_MAX_IMAGES = 24;

/** The images in the deck (the votes route accepts a progressionId only from these). */
export const deckImages = (data: ProjectData, input: GenerateInput): LineageStep[] =>
  selectImages(data, input, { defaultMax: DEFAULT_MAX_IMAGES });

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

function card(
  s: LineageStep,
  votes: number,
  total: number,
  top: number,
  data: PageData,
  input: GenerateInput,
  index: number,
): string {
  const p = s.progression;
  const img = imgTag(input.origin, p, data.sizes.get(p.id), {
    alt: p.prompt,
    sizes: "(max-width: 40rem) 100vw, 20rem",
    eager: index < 6,
  });
  const leading = total > 0 && votes === top ? " leading" : "";
  const share = total > 0 ? Math.round((votes / total) * 100) : 0;
  return `<article class="card${leading}" id="${stepAnchor(s.step)}">
  ${img}
  <div class="body">
    <p class="meta"><strong>Step ${s.step}</strong> · ${escapeHtml(p.provider)} ${verdictBadge(p.judgment)}</p>
    <p class="prompt">${escapeHtml(p.prompt)}</p>
    <p class="count"><meter min="0" max="${Math.max(1, total)}" value="${votes}"></meter> <span data-count>${plural(votes, "vote")}</span> · ${share}%</p>
    <button type="button" data-vote="${escapeHtml(p.id)}" hidden>Vote for step ${s.step}</button>
  </div>
</article>`;
}

export const votingDeckGenerator: ArtifactGenerator = {
  id: "voting-deck",
  name: "Voting deck",
  output: "html",
  description:
    "A poll over the images: one vote per visitor (POST /public/artifact/:slug/votes), counts on the page.",
  defaultTemplate: template,
  publicPath: "/public/artifact",
  async generate(input) {
    const project = await loadData(input);
    const images = deckImages(project, input);
    const [data, tally] = await Promise.all([
      withSizes(input, project, images),
      voteTally(input.env.DB, input.artifact.id),
    ]);
    const count = (s: LineageStep) => tally.byProgression[s.progression.id] ?? 0;
    // Votes for images no longer in the deck are not shown: the page's total is what its cards add up to.
    const total = images.reduce((sum, s) => sum + count(s), 0);
    const top = Math.max(0, ...images.map(count));
    const leaders = images.filter((s) => total > 0 && count(s) === top);
    const leader =
      leaders.length === 0
        ? "No votes yet: be the first."
        : leaders.length === 1
          ? `Step ${leaders[0]?.step} leads with ${plural(top, "vote")}.`
          : `Steps ${leaders.map((s) => s.step).join(", ")} are tied with ${plural(top, "vote")} each.`;
    return {
      values: {
        ...commonValues(input, data, {
          fallbackDescription: `Vote for your favourite image of ${projectNames(data)}`,
          cover: leaders[0] ?? images[0],
          imageCount: images.length,
        }),
        VOTE_TOTAL: plural(total, "vote"),
        LEADER: leader,
        DECK: {
          html:
            images.length > 0
              ? images.map((s, i) => card(s, count(s), total, top, data, input, i)).join("\n")
              : '<p class="quiet">No images yet.</p>',
        },
        VOTE_HELP: {
          html: `<p data-vote-status role="status" class="status"></p><noscript><p class="quiet">Votes are cast with <code>POST ${escapeHtml(interactionPath(input, "votes"))}</code> and <code>{ "progressionId": "…" }</code>.</p></noscript>`,
        },
        SCRIPT: scriptTag(VOTE_SCRIPT),
      },
    };
  },
};
