/** The lookbook: a responsive gallery of the selected projects' judged images, with OG/Twitter tags. */
import { listProgressions } from "../../db/progressions";
import { getProject } from "../../db/projects";
import { escapeHtml } from "../../lib/html";
import type { Progression } from "../../types/domain";
import type { ArtifactGenerator, GenerateInput } from "../types";
import template from "./template.html";

const WIDTHS = [320, 640, 960, 1280];
const DEFAULT_MAX_IMAGES = 60;

const imageUrl = (origin: string, id: string, width: number) =>
  `${origin}/images/${id}?w=${width}&format=auto`;

function figure(p: Progression, origin: string): string {
  const srcset = WIDTHS.map((w) => `${escapeHtml(imageUrl(origin, p.id, w))} ${w}w`).join(", ");
  const verdict = p.judgment
    ? `<span class="badge ${p.judgment === "pass" ? "pass" : "fail"}">${p.judgment === "pass" ? "passed" : "failed"}</span>`
    : "";
  return `<figure>
  <img src="${escapeHtml(imageUrl(origin, p.id, 640))}" srcset="${srcset}" sizes="(max-width: 40rem) 100vw, 24rem" alt="${escapeHtml(p.prompt)}" loading="lazy" decoding="async" width="640" height="640">
  <figcaption><p class="prompt">${escapeHtml(p.prompt)}</p><p class="info"><span>${escapeHtml(p.provider)}</span>${verdict}</p></figcaption>
</figure>`;
}

async function collectImages(
  input: GenerateInput,
): Promise<{ images: Progression[]; names: string[]; descriptions: string[] }> {
  const max = input.options.maxImages ?? DEFAULT_MAX_IMAGES;
  const images: Progression[] = [];
  const names: string[] = [];
  const descriptions: string[] = [];
  for (const projectId of input.artifact.projectIds) {
    const project = await getProject(input.env.DB, projectId);
    if (!project) continue;
    names.push(project.name);
    if (project.description) descriptions.push(project.description);
    const query = {
      limit: Math.min(100, max),
      ...(input.options.includeFailed ? {} : { judgment: "pass" as const }),
    };
    images.push(...(await listProgressions(input.env.DB, projectId, query, null)).items);
  }
  images.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  return { images: images.slice(0, max), names, descriptions };
}

export const lookbookGenerator: ArtifactGenerator = {
  id: "lookbook",
  name: "Lookbook",
  output: "html",
  description:
    "A responsive public gallery of the projects' passing images with captions and social previews.",
  defaultTemplate: template,
  publicPath: "/public/lookbook",
  async generate(input) {
    const { images, names, descriptions } = await collectImages(input);
    const title = input.artifact.title;
    const description =
      input.options.description ?? (descriptions.join(" · ") || `A lookbook of ${names.join(", ")}`);
    const first = images[0];
    const og = [
      ["og:type", "website"],
      ["og:title", title],
      ["og:description", description],
      ["og:url", input.publicUrl],
      ...(first ? [["og:image", imageUrl(input.origin, first.id, 1200)]] : []),
      ["twitter:card", first ? "summary_large_image" : "summary"],
      ["twitter:title", title],
      ["twitter:description", description],
      ...(first ? [["twitter:image", imageUrl(input.origin, first.id, 1200)]] : []),
    ]
      .map(
        ([k, v]) =>
          `<meta ${(k ?? "").startsWith("og:") ? "property" : "name"}="${escapeHtml(k ?? "")}" content="${escapeHtml(v ?? "")}">`,
      )
      .join("\n");
    const gallery =
      images.length > 0
        ? images.map((p) => figure(p, input.origin)).join("\n")
        : '<p class="empty">No images yet.</p>';
    return {
      values: {
        TITLE: title,
        DESCRIPTION: description,
        OG_TAGS: { html: og },
        GALLERY: { html: gallery },
        IMAGE_COUNT: String(images.length),
        GENERATED_AT: new Date().toISOString().slice(0, 10),
        PUBLIC_URL: input.publicUrl,
      },
    };
  },
};
