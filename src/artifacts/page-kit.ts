/**
 * Pieces every public HTML page shares: the values every template may use (title, description, Open
 * Graph tags, date, URL), image selection from the project data, and how a lineage step is described
 * (a rollback is "Rollback of step N", never a second copy of the image). Every user value is escaped.
 */
import { escapeHtml } from "../lib/html";
import type { Progression } from "../types/domain";
import { type ImageSize, imageSizes, shareImageUrl } from "./page-images";
import { type LineageStep, loadProjectData, type ProjectData } from "./project-data";
import type { FillValue } from "./template";
import type { GenerateInput } from "./types";

/** A page's data: the projects' lineage plus the original size of every image it shows. */
export interface PageData extends ProjectData {
  sizes: Map<string, ImageSize>;
}

/** The artifact's project data. */
export const loadData = (input: GenerateInput): Promise<ProjectData> =>
  loadProjectData(input.env, input.artifact.projectIds);

/** Adds the original sizes of the images a page shows (only those: measuring may read R2). */
export async function withSizes(
  input: GenerateInput,
  data: ProjectData,
  shown: LineageStep[],
): Promise<PageData> {
  return {
    ...data,
    sizes: await imageSizes(
      input.env,
      shown.map((s) => s.progression),
    ),
  };
}

export const isRollback = (s: LineageStep): boolean => s.parent?.kind === "rollback";

/**
 * The images a gallery-like page shows: every step that made an image (rollbacks only point at one),
 * passing ones unless `includeFailed` (option, else the type's default), in lineage order, at most `max`.
 */
export function selectImages(
  data: ProjectData,
  input: GenerateInput,
  o: { defaultMax: number; includeFailed?: boolean },
): LineageStep[] {
  const includeFailed = input.options.includeFailed ?? o.includeFailed ?? false;
  const steps = data.steps.filter(
    (s) => !isRollback(s) && (includeFailed || s.progression.judgment === "pass"),
  );
  return steps.slice(0, input.options.maxImages ?? o.defaultMax);
}

export const newestFirst = (a: LineageStep, b: LineageStep): number =>
  b.progression.createdAt - a.progression.createdAt || b.step - a.step;

/** "Step N", the anchor other cards link to. */
export const stepAnchor = (step: number): string => `step-${step}`;

/** What a step is relative to its parent, in words (plain text: escape where it is used). */
export function describeLink(s: LineageStep): string {
  const parent = s.parent;
  if (!parent)
    return s.job && s.job.kind !== "generate" ? `New ${s.job.kind} from a start image` : "New image";
  const of = parent.step === null ? "an earlier step" : `step ${parent.step}`;
  switch (parent.kind) {
    case "rollback":
      return `Rollback of ${of}`;
    case "retry":
      return `Judge-driven retry of ${of}${s.task ? ` (attempt ${s.task.attempt})` : ""}`;
    case "continue":
      return `Continued from ${of}${s.job ? ` (${s.job.kind})` : ""}`;
  }
}

/** The prompt change from the parent step, or null when the prompt is the same. */
export function promptChange(s: LineageStep, data: ProjectData): { from: string; to: string } | null {
  const parent = s.parent ? data.stepById.get(s.parent.id) : undefined;
  if (!parent || parent.progression.prompt === s.progression.prompt) return null;
  return { from: parent.progression.prompt, to: s.progression.prompt };
}

/** A verdict badge; null judgments (not judged) show nothing. */
export function verdictBadge(judgment: Progression["judgment"]): string {
  if (!judgment) return "";
  return `<span class="badge ${judgment}">${judgment === "pass" ? "passed" : "failed"}</span>`;
}

/** A compact card standing for a rollback: it names the step it rolled back to instead of repeating it. */
export function rollbackCard(s: LineageStep, shown: Set<number>): string {
  const target = s.parent?.step ?? null;
  const label = escapeHtml(describeLink(s));
  const link = target !== null && shown.has(target) ? `<a href="#${stepAnchor(target)}">${label}</a>` : label;
  return `<article class="rollback" id="${stepAnchor(s.step)}"><p class="step">Step ${s.step}</p><p>${link}: that image became the head again.</p><p class="when">${escapeHtml(isoDate(s.progression.createdAt))}</p></article>`;
}

export const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Escaped text with line breaks kept (for comments and notes). */
export const multiline = (text: string): string => escapeHtml(text).replaceAll("\n", "<br>");

function ogTags(o: { title: string; description: string; url: string; image: string | null }): string {
  const tags: [string, string][] = [
    ["og:type", "website"],
    ["og:title", o.title],
    ["og:description", o.description],
    ["og:url", o.url],
    ...(o.image ? ([["og:image", o.image]] as [string, string][]) : []),
    ["twitter:card", o.image ? "summary_large_image" : "summary"],
    ["twitter:title", o.title],
    ["twitter:description", o.description],
    ...(o.image ? ([["twitter:image", o.image]] as [string, string][]) : []),
  ];
  return tags
    .map(
      ([k, v]) =>
        `<meta ${k.startsWith("og:") ? "property" : "name"}="${escapeHtml(k)}" content="${escapeHtml(v)}">`,
    )
    .join("\n");
}

/**
 * The values every page template may use: TITLE, DESCRIPTION, OG_TAGS, IMAGE_COUNT, GENERATED_AT,
 * PUBLIC_URL. The description is the option, else the projects' descriptions, else `fallback`.
 */
export function commonValues(
  input: GenerateInput,
  data: PageData,
  o: { fallbackDescription: string; cover: LineageStep | undefined; imageCount: number },
): Record<string, FillValue> {
  const described = data.projects.map((p) => p.description).filter((d): d is string => Boolean(d));
  const description = input.options.description ?? (described.join(" · ") || o.fallbackDescription);
  const cover = o.cover?.progression;
  return {
    TITLE: input.artifact.title,
    DESCRIPTION: description,
    OG_TAGS: {
      html: ogTags({
        title: input.artifact.title,
        description,
        url: input.publicUrl,
        image: cover ? shareImageUrl(input.origin, cover, data.sizes.get(cover.id)) : null,
      }),
    },
    IMAGE_COUNT: String(o.imageCount),
    GENERATED_AT: isoDate(Date.now()),
    PUBLIC_URL: input.publicUrl,
  };
}

/** The project names, for fallback descriptions. */
export const projectNames = (data: ProjectData): string => data.projects.map((p) => p.name).join(", ");

/** The `/public/artifact/<slug>` path POST routes live under (comments, votes). */
export const interactionPath = (input: GenerateInput, what: "comments" | "votes"): string =>
  `/public/artifact/${input.artifact.publicSlug}/${what}`;
