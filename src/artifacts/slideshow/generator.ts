/**
 * The slideshow: one full-screen slide per image with its caption. Slides sit in a scroll-snapping
 * strip, so links, swipes and the scrollbar work without script; a fixed script (allowed by its
 * hash, no user value in it) adds keyboard navigation and full screen.
 */
import { escapeHtml } from "../../lib/html";
import { imgTag } from "../page-images";
import {
  commonValues,
  loadData,
  type PageData,
  projectNames,
  selectImages,
  verdictBadge,
  withSizes,
} from "../page-kit";
import { SLIDESHOW_SCRIPT, scriptTag } from "../page-scripts";
import type { LineageStep } from "../project-data";
import type { ArtifactGenerator, GenerateInput } from "../types";
import template from "./template.html";

const DEFAULT_MAX_SLIDES = 40;

const slideId = (n: number): string => `slide-${n}`;

function slide(s: LineageStep, n: number, count: number, data: PageData, input: GenerateInput): string {
  const p = s.progression;
  const img = imgTag(input.origin, p, data.sizes.get(p.id), {
    alt: p.prompt,
    sizes: "100vw",
    fallbackWidth: 1280,
    // The next slide is one key press away: load the first two at once.
    eager: n <= 2,
  });
  const prev = n > 1 ? `<a class="nav prev" href="#${slideId(n - 1)}" aria-label="Previous slide">‹</a>` : "";
  const next = n < count ? `<a class="nav next" href="#${slideId(n + 1)}" aria-label="Next slide">›</a>` : "";
  return `<section class="slide" id="${slideId(n)}" data-slide aria-roledescription="slide" aria-label="${n} of ${count}">
  ${img}
  <div class="caption"><p class="prompt">${escapeHtml(p.prompt)}</p><p class="meta">${n} / ${count} · Step ${s.step} · ${escapeHtml(p.provider)} ${verdictBadge(p.judgment)}</p></div>
  ${prev}${next}
</section>`;
}

export const slideshowGenerator: ArtifactGenerator = {
  id: "slideshow",
  name: "Slideshow",
  output: "html",
  description:
    "A full-screen slideshow of the images with keyboard navigation (arrows, Home/End, f for full screen).",
  defaultTemplate: template,
  publicPath: "/public/artifact",
  async generate(input) {
    const project = await loadData(input);
    const images = selectImages(project, input, { defaultMax: DEFAULT_MAX_SLIDES });
    const data = await withSizes(input, project, images);
    const slides = images.map((s, i) => slide(s, i + 1, images.length, data, input));
    return {
      values: {
        ...commonValues(input, data, {
          fallbackDescription: `A slideshow of ${projectNames(data)}`,
          cover: images[0],
          imageCount: images.length,
        }),
        SLIDES: {
          html:
            slides.length > 0
              ? slides.join("\n")
              : `<section class="slide empty" id="${slideId(1)}" data-slide><p>No images yet.</p></section>`,
        },
        SCRIPT: scriptTag(SLIDESHOW_SCRIPT),
      },
    };
  },
};
