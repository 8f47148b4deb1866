/**
 * stakeholder-pdf (pdf, pdf-lib): a title page with the verdict summary, then one page per image —
 * the PNG rendition embedded, a caption (step, provider, verdict, lineage link, prompt, the judge's
 * notes) — and page numbers. Every user string is mapped to the standard fonts' WinAnsi first.
 */
import {
  type PDFDocument as Doc,
  PDFDocument,
  type PDFFont,
  type PDFImage,
  type PDFPage,
  rgb,
  StandardFonts,
} from "pdf-lib";
import { createLogger } from "../../lib/logging";
import type { DocumentSpec } from "../documents";
import type { LineageStep, ProjectData } from "../project-data";
import { stepPng } from "./images";
import { verdictSummary } from "./summary";
import { drawable, wrap } from "./text";

const PAGE: [number, number] = [595.28, 841.89]; // A4 in points
const MARGIN = 50;
const WIDTH = PAGE[0] - 2 * MARGIN;
const IMAGE_MAX_HEIGHT = 470;
const DEFAULT_MAX_IMAGES = 30;
/** Every embedded PNG stays in memory until the document is saved: bound them for a Worker's 128 MB. */
const MAX_IMAGES = 60;
const MAX_NOTES = 6;
const INK = rgb(0.1, 0.1, 0.12);
const MUTED = rgb(0.4, 0.4, 0.45);
const VERDICT = { pass: rgb(0.12, 0.55, 0.25), fail: rgb(0.75, 0.15, 0.15) };

const log = createLogger({ module: "artifacts/stakeholder-pdf" });

interface Fonts {
  regular: PDFFont;
  bold: PDFFont;
  italic: PDFFont;
}

/** A top-down cursor over pages: text wraps, and a new page starts when the next line would not fit. */
class Writer {
  page: PDFPage;
  y = PAGE[1] - MARGIN;
  constructor(private readonly doc: Doc) {
    this.page = doc.addPage(PAGE);
  }
  newPage() {
    this.page = this.doc.addPage(PAGE);
    this.y = PAGE[1] - MARGIN;
  }
  text(text: string, font: PDFFont, size: number, color = INK) {
    for (const line of wrap(font, text, size, WIDTH)) {
      if (this.y - size < MARGIN + 20) this.newPage();
      this.y -= size;
      this.page.drawText(line, { x: MARGIN, y: this.y, size, font, color });
      this.y -= size * 0.35;
    }
  }
  space(points: number) {
    this.y -= points;
  }
  image(image: PDFImage) {
    const scale = Math.min(WIDTH / image.width, IMAGE_MAX_HEIGHT / image.height, 1.5);
    const width = image.width * scale;
    const height = image.height * scale;
    this.y -= height;
    this.page.drawImage(image, { x: MARGIN + (WIDTH - width) / 2, y: this.y, width, height });
    this.space(14);
  }
}

const percent = (part: number, whole: number) => (whole > 0 ? `${Math.round((100 * part) / whole)}%` : "n/a");

function titlePage(w: Writer, fonts: Fonts, title: string, data: ProjectData, shown: number) {
  const s = verdictSummary(data);
  w.space(120);
  w.text(title, fonts.bold, 28);
  w.space(10);
  for (const project of data.projects) {
    w.text(project.name, fonts.bold, 14, MUTED);
    if (project.description) w.text(project.description, fonts.regular, 11, MUTED);
    w.space(4);
  }
  w.text(`Generated ${new Date().toISOString().slice(0, 10)}`, fonts.italic, 10, MUTED);
  w.space(36);
  w.text("Verdict summary", fonts.bold, 16);
  w.space(6);
  if (s.images === 0) w.text("No images yet.", fonts.regular, 11);
  else {
    w.text(
      `${s.images} image(s) from ${s.jobs} job(s): ${s.passed} passed, ${s.failed} failed, ${s.unjudged} not judged (pass rate ${percent(s.passed, s.passed + s.failed)}). ${s.rollbacks} rollback(s). ${shown} image page(s) follow.`,
      fonts.regular,
      11,
    );
  }
  for (const p of s.byProvider) {
    w.text(
      `${p.provider}: ${p.images} image(s), ${p.passed} passed, ${p.failed} failed (${percent(p.passed, p.passed + p.failed)}).`,
      fonts.regular,
      11,
    );
  }
  if (s.retries.total > 0) {
    w.text(
      `Judge-driven retries: ${s.retries.total}, of which ${s.retries.passed} passed.`,
      fonts.regular,
      11,
    );
  }
  if (s.failedTasks.length > 0) {
    w.space(8);
    w.text("Tasks that produced no image", fonts.bold, 12);
    for (const f of s.failedTasks)
      w.text(`${f.provider} (${f.count}x): ${f.error}`, fonts.regular, 10, MUTED);
  }
}

function lineageLine(step: LineageStep): string {
  const parent = step.parent;
  if (!parent) return "First step of its lineage.";
  const at = parent.step === null ? "a step outside these projects" : `step ${parent.step}`;
  if (parent.kind === "rollback") return `Rollback to ${at}: the same image, made the head again.`;
  if (parent.kind === "retry") return `Judge-driven retry of ${at} (attempt ${step.task?.attempt ?? 1}).`;
  return `Continues ${at}.`;
}

function caption(w: Writer, fonts: Fonts, step: LineageStep) {
  const verdict = step.judge.judgment;
  const verdictText = verdict === "pass" ? "PASSED" : verdict === "fail" ? "FAILED" : "NOT JUDGED";
  const head = `Step ${step.step} \u00b7 ${step.progression.provider} \u00b7 ${verdictText}`;
  w.text(head, fonts.bold, 13, verdict ? VERDICT[verdict] : INK);
  w.text(lineageLine(step), fonts.italic, 10, MUTED);
  w.space(4);
  w.text(step.progression.prompt, fonts.regular, 11);
  const meta = [
    step.provider.model,
    step.provider.latencyMs === null ? null : `${step.provider.latencyMs} ms`,
  ];
  const metaLine = meta.filter((m): m is string => m !== null).join(" \u00b7 ");
  if (metaLine) w.text(metaLine, fonts.regular, 9, MUTED);
  w.space(4);
  for (const note of step.judge.notes.slice(0, MAX_NOTES)) w.text(`- ${note}`, fonts.regular, 9, MUTED);
  if (step.judge.retrySuggestion)
    w.text(`Suggested change: ${step.judge.retrySuggestion}`, fonts.italic, 9, MUTED);
}

export const stakeholderPdf: DocumentSpec = {
  id: "stakeholder-pdf",
  name: "Stakeholder PDF",
  output: "pdf",
  description:
    "A PDF: a title page with the verdict summary, then every image embedded with its caption (step, provider, verdict, lineage, prompt, judge's notes). includeFailed: false leaves failed images out; maxImages up to 60 (default 30).",
  async build(input, data) {
    const doc = await PDFDocument.create();
    const fonts: Fonts = {
      regular: await doc.embedFont(StandardFonts.Helvetica),
      bold: await doc.embedFont(StandardFonts.HelveticaBold),
      italic: await doc.embedFont(StandardFonts.HelveticaOblique),
    };
    const title = input.artifact.title;
    doc.setTitle(title);
    doc.setSubject(data.projects.map((p) => p.name).join(", "));
    doc.setProducer("Picasso");
    doc.setCreationDate(new Date());
    const steps = data.steps
      .filter((s) => input.options.includeFailed !== false || s.judge.judgment !== "fail")
      .slice(0, Math.min(MAX_IMAGES, input.options.maxImages ?? DEFAULT_MAX_IMAGES));
    const writer = new Writer(doc);
    titlePage(writer, fonts, title, data, steps.length);
    // A rollback shows the same original again: embed its bytes once and draw them twice.
    const embedded = new Map<string, PDFImage>();
    for (const step of steps) {
      const key = step.progression.originalImageR2Key;
      let image = embedded.get(key);
      if (!image) {
        const png = await stepPng(input.env, step);
        if (!png) {
          log.warn("pdf.original_missing", { progressionId: step.progression.id });
          continue;
        }
        image = await doc.embedPng(png);
        embedded.set(key, image);
      }
      writer.newPage();
      writer.image(image);
      caption(writer, fonts, step);
    }
    const pages = doc.getPages();
    const footer = drawable(fonts.regular, title);
    for (const [i, page] of pages.entries()) {
      const text = `${footer.length > 80 ? `${footer.slice(0, 79)}\u2026` : footer} \u00b7 page ${i + 1} of ${pages.length}`;
      page.drawText(text, { x: MARGIN, y: MARGIN / 2, size: 8, font: fonts.regular, color: MUTED });
    }
    return { body: await doc.save(), contentType: "application/pdf" };
  },
};
