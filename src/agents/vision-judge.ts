/** The live judge: a vision model answers yes/no questions derived from the prompt; the offline verdict is its fallback. */
import { z } from "zod";
import type { ImageOpKind } from "../adapters/provider.types";
import { isAiRemoteOnly, requireAi, runAi } from "../lib/ai";
import type { AppEnv } from "../lib/env";
import { createLogger, describeError, errorMessage } from "../lib/logging";
import { promptColours, type Verdict } from "./judge.agent";

const log = createLogger({ module: "vision-judge" });

/** The question every judgment starts with; a "no" to it always fails the image. */
export const OVERALL_QUESTION = "Does the image match the prompt overall?";
/** At most this many questions per image (the overall one included). */
export const MAX_QUESTIONS = 8;
/** Share of "yes" answers needed to pass (with a "yes" to the overall question). */
export const PASS_SHARE = 0.8;
const MAX_TOKENS = 700;

/** Style words a prompt may ask for (matched as whole words or phrases). */
const STYLES = (
  "pixel art|line art|oil painting|low poly|3d render|watercolor|watercolour|photorealistic|photograph|" +
  "cartoon|anime|sketch|minimalist|vintage|cinematic|isometric|impressionist|surreal|noir|pastel|comic"
).split("|");
const DETERMINERS = new Set("a an the two three four some several many".split(" "));
/** Words that end a noun phrase (prepositions, conjunctions, verbs that commonly follow a subject). */
const BREAKS = new Set(
  (
    "in on at of with and or under over near by for from to into behind beside above below is are " +
    "holding wearing sitting standing that which while style as"
  ).split(" "),
);

interface Check {
  question: string;
  /** What to ask the provider for when the answer is "no". */
  fix: string;
}

/** Head nouns after a determiner ("a red fox in the snowy forest" → fox, forest), with a leading colour if any. */
function subjects(prompt: string): { noun: string; colour?: string }[] {
  const words = prompt.toLowerCase().match(/[a-z0-9]+|[,.;:!?]/g) ?? [];
  const found: { noun: string; colour?: string }[] = [];
  for (let i = 0; i < words.length; i++) {
    if (!DETERMINERS.has(words[i] ?? "")) continue;
    const phrase: string[] = [];
    for (let j = i + 1; j < words.length && phrase.length < 4; j++) {
      const w = words[j] ?? "";
      if (!/^[a-z0-9]+$/.test(w) || BREAKS.has(w) || DETERMINERS.has(w)) break;
      phrase.push(w);
    }
    const noun = phrase.at(-1);
    if (noun === undefined || promptColours(noun).length > 0 || found.some((s) => s.noun === noun)) continue;
    const colour = phrase.slice(0, -1).find((w) => promptColours(w).length > 0);
    found.push(colour === undefined ? { noun } : { noun, colour });
  }
  return found;
}

function checksFor(prompt: string): Check[] {
  const checks: Check[] = [{ question: OVERALL_QUESTION, fix: "follow the prompt more literally" }];
  const found = subjects(prompt);
  for (const { noun, colour } of found) {
    checks.push({ question: `Is there a ${noun} in the image?`, fix: `show a clearly visible ${noun}` });
    if (colour) checks.push({ question: `Is the ${noun} ${colour}?`, fix: `make the ${noun} ${colour}` });
  }
  const coloured = new Set(found.flatMap((s) => (s.colour ? [s.colour] : [])));
  for (const colour of prompt.toLowerCase().match(/[a-z]+/g) ?? []) {
    if (promptColours(colour).length === 0 || coloured.has(colour)) continue;
    coloured.add(colour);
    checks.push({ question: `Is ${colour} clearly present in the image?`, fix: `use ${colour} prominently` });
  }
  const lower = ` ${prompt.toLowerCase()} `;
  for (const style of STYLES.filter((s) => lower.includes(` ${s} `) || lower.includes(` ${s},`))) {
    checks.push({
      question: `Is the image in a ${style} style?`,
      fix: `render it clearly in a ${style} style`,
    });
  }
  for (const match of prompt.matchAll(/["“]([^"”]{1,60})["”]/g)) {
    const text = match[1]?.trim();
    if (text)
      checks.push({
        question: `Is the text "${text}" legible in the image?`,
        fix: `render the text "${text}" large, legible and correctly spelled`,
      });
  }
  const unique = checks.filter((c, i) => checks.findIndex((d) => d.question === c.question) === i);
  return unique.slice(0, MAX_QUESTIONS);
}

/**
 * Decomposes a prompt into yes/no questions (deterministic, pure): the overall question first, then
 * one per subject noun (and its colour), each other colour word, style word and quoted text. At most
 * `MAX_QUESTIONS`.
 */
export function questionsFor(prompt: string): string[] {
  return checksFor(prompt).map((c) => c.question);
}

const AnswerSchema = z.object({
  question: z.string(),
  answer: z.preprocess((v) => (typeof v === "string" ? v.trim().toLowerCase() : v), z.enum(["yes", "no"])),
  reason: z.string().default(""),
});
const ReportSchema = z.object({
  answers: z.array(AnswerSchema).min(1),
  tags: z.array(z.string()).default([]),
  notes: z.array(z.string()).default([]),
  retrySuggestion: z.string().optional(),
});
type Report = z.infer<typeof ReportSchema>;
/** One question's answer as recorded in `judgeMeta`. */
export type VisionAnswer = z.infer<typeof AnswerSchema>;
const OutputSchema = z.object({ response: z.union([z.string(), z.record(z.string(), z.unknown())]) });

/** `judgeMeta` of a live vision verdict. */
export interface VisionJudgeMeta {
  judge: "vision";
  mode: "live";
  model: string;
  questions: string[];
  answers: VisionAnswer[];
}
/** A verdict from either judge: the vision one, or the offline one annotated with why vision was not used. */
export type JudgedVerdict = Omit<Verdict, "judgeMeta"> & {
  judgeMeta: VisionJudgeMeta | (Verdict["judgeMeta"] & { visionError: string });
};

/** The JSON object in a model's text: inside ```json fences, or from the first "{" to the last "}". */
export function extractJson(text: string): unknown {
  const fenced = text.match(/```(?:json)?\s*([\s\S]*?)```/i)?.[1];
  const body = fenced ?? text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1);
  return JSON.parse(body.trim());
}

/** One line saying why an output was refused (zod issues as `path: message`, not their JSON dump). */
function describeProblem(err: unknown): string {
  const text =
    err instanceof z.ZodError
      ? err.issues.map((i) => `${i.path.join(".") || "output"}: ${i.message}`).join("; ")
      : err instanceof Error
        ? err.message
        : String(err);
  return text.slice(0, 200);
}

/** Parses one model output into a report with an answer for every question, or throws why not. */
function parseReport(raw: unknown, questions: string[]): { report: Report; answers: VisionAnswer[] } {
  const output = OutputSchema.parse(raw).response;
  const report = ReportSchema.parse(typeof output === "string" ? extractJson(output) : output);
  const norm = (s: string) => s.trim().toLowerCase();
  const answers = questions.map((question, i) => {
    const found = report.answers.find((a) => norm(a.question) === norm(question)) ?? report.answers[i];
    if (found === undefined) throw new Error(`no answer to "${question}"`);
    return { ...found, question };
  });
  return { report, answers };
}

function request(input: VisionInput, image: Uint8Array, questions: string[], strict: string | null) {
  const system = [
    "You judge whether a generated image matches its prompt. Look at the image and answer each question with yes or no.",
    'Reply with strict JSON only: {"answers":[{"question":"...","answer":"yes"|"no","reason":"..."}],"tags":["..."],"notes":["..."],"retrySuggestion":"..."}',
    "Answer every question, in order, copying each question verbatim. retrySuggestion: a better prompt, only when something is wrong.",
    strict
      ? `Your previous reply was invalid (${strict}). Output ONLY the JSON object, no prose or fences.`
      : "",
  ]
    .filter(Boolean)
    .join("\n");
  const user = [
    `Prompt: ${input.prompt}`,
    input.kind === "generate" ? "" : `Operation: ${input.kind} of a start image (not shown).`,
    "Questions:",
    ...questions.map((q, i) => `${i + 1}. ${q}`),
  ].filter(Boolean);
  return {
    messages: [
      { role: "system", content: system },
      { role: "user", content: user.join("\n") },
    ],
    image: [...image],
    max_tokens: MAX_TOKENS,
  };
}

/** What the vision judge needs; `offline` is the heuristic verdict used when the model cannot answer. */
export interface VisionInput {
  prompt: string;
  kind: ImageOpKind;
  /**
   * The result image (a small rendition keeps the request light: bytes travel as a number array),
   * prepared only once the model can be asked: offline, no rendition is made and nothing is copied.
   */
  image: () => Promise<Uint8Array>;
  /** Recorded for callers' symmetry with the stored image; the binding reads the bytes' own format. */
  contentType: string;
  /** Edit-type ops only. Not sent (the vision model takes one image); the offline pHash check compares. */
  startImage?: Uint8Array;
  offline: Verdict;
}

function verdictFrom(
  input: VisionInput,
  model: string,
  report: Report,
  answers: VisionAnswer[],
): JudgedVerdict {
  const checks = checksFor(input.prompt);
  const yes = answers.filter((a) => a.answer === "yes").length;
  const pass = answers[0]?.answer === "yes" && yes / answers.length >= PASS_SHARE;
  const notes = [
    ...answers.map((a) => `${a.question} ${a.answer}${a.reason ? `: ${a.reason}` : "."}`),
    ...report.notes,
    `${yes} of ${answers.length} checks passed (pass needs the overall check and ≥ ${PASS_SHARE * 100}%).`,
  ];
  const tags = [...new Set([...input.offline.tags, ...report.tags.map((t) => t.trim().toLowerCase())])]
    .filter(Boolean)
    .slice(0, 16);
  const verdict: JudgedVerdict = {
    judgment: pass ? "pass" : "fail",
    notes,
    tags,
    judgeMeta: { judge: "vision", mode: "live", model, questions: checks.map((c) => c.question), answers },
  };
  if (!pass) {
    const fixes = answers.flatMap((a, i) => (a.answer === "no" ? [checks[i]?.fix ?? a.question] : []));
    const fromModel = report.retrySuggestion?.trim();
    verdict.retrySuggestion = fromModel || `${fixes.join("; ")}: ${input.prompt.trim()}`;
  }
  return verdict;
}

/**
 * Judges an image with the vision model: pass when the overall question is answered "yes" and at
 * least 80% of all answers are "yes" (so one miss among five or more checks is tolerated, none
 * among fewer). A malformed reply gets one stricter retry. When the binding throws (always, locally)
 * or both replies are malformed, returns `offline` with a note and `judgeMeta.visionError`.
 */
export async function judgeWithVision(env: AppEnv, input: VisionInput): Promise<JudgedVerdict> {
  const model = env.DEFAULT_MODEL_VISION;
  const questions = questionsFor(input.prompt);
  let problem: string | null = null;
  try {
    requireAi(env);
    const image = await input.image();
    for (let attempt = 0; attempt < 2; attempt++) {
      const raw = await runAi(env, model, request(input, image, questions, problem));
      try {
        const { report, answers } = parseReport(raw, questions);
        return verdictFrom(input, model, report, answers);
      } catch (err) {
        problem = describeProblem(err);
        log.warn("vision.malformed_output", { attempt, error: problem });
      }
    }
    problem = `malformed output twice (${problem})`;
  } catch (err) {
    problem = errorMessage(err);
    // The remote-only binding is the normal offline case: runAi logged it once per isolate.
    if (!isAiRemoteOnly(err)) log.warn("vision.unavailable", describeError(err));
  }
  return {
    ...input.offline,
    notes: [...input.offline.notes, `vision judge unavailable: ${problem}, heuristic judge used.`],
    judgeMeta: { ...input.offline.judgeMeta, visionError: problem },
  };
}
