/**
 * Model refinement and the vision judge inside workerd: `env.AI.run` spied for answers (with
 * AI_REMOTE=true, as a remote session would have it); without, the binding is not called (src/lib/ai.ts).
 */
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, type MockInstance, vi } from "vitest";
import { judgeOffline, type Verdict } from "../../src/agents/judge.agent";
import { MAX_MODEL_PROMPT, refinePrompt } from "../../src/agents/refine-model";
import { analyzeImage } from "../../src/agents/tools/images";
import {
  judgeWithVision,
  OVERALL_QUESTION,
  questionsFor,
  type VisionInput,
} from "../../src/agents/vision-judge";
import { AI_REMOTE_ONLY_MESSAGE } from "../../src/lib/ai";
import type { AppEnv } from "../../src/lib/env";
import type { KnowledgeTip } from "../../src/types/domain";

const appEnv = env as unknown as AppEnv;
/** How the modules call the binding (`Ai.run`'s overloads defeat `vi.spyOn`'s inference). */
type Run = (model: string, inputs: Record<string, unknown>) => Promise<unknown>;
const spyRun = () => {
  appEnv.AI_REMOTE = "true";
  return vi.spyOn(appEnv.AI, "run") as unknown as MockInstance<Run>;
};

const TIPS: KnowledgeTip[] = [
  {
    key: "openai.lighting",
    provider: "openai",
    tip: "Describe the lighting explicitly",
    append: "soft light",
  },
  { key: "openai.lens", provider: "openai", tip: "Name a lens for photos", append: "35mm lens" },
];
const PROMPT = "a red fox in a snowy forest";

afterEach(() => {
  vi.restoreAllMocks();
  delete appEnv.AI_REMOTE;
});

describe("refinePrompt", () => {
  it("asks the reasoning model with the tips and returns its trimmed paragraph", async () => {
    const run = spyRun().mockResolvedValue({
      response: 'Here is the refined prompt:\n"A red fox in a snowy forest,\nsoft light, 35mm lens."',
    });
    const result = await refinePrompt(appEnv, PROMPT, "openai", TIPS);
    expect(result).toEqual({
      refinedPrompt: "A red fox in a snowy forest, soft light, 35mm lens.",
      appliedTips: ["openai.lighting", "openai.lens"],
      mode: "model",
    });
    expect(run).toHaveBeenCalledTimes(1);
    const [model, request] = run.mock.calls[0] ?? [];
    expect(model).toBe(appEnv.DEFAULT_MODEL_REASONING);
    const sent = JSON.stringify(request);
    expect(sent).toContain("Describe the lighting explicitly");
    expect(sent).toContain("openai.lens");
    expect(sent).toContain(PROMPT);
    expect(request).toMatchObject({ max_tokens: expect.any(Number) });
  });

  it("keeps quotes that belong to the prompt", async () => {
    spyRun().mockResolvedValue({ response: 'A shop sign saying "OPEN"' });
    const result = await refinePrompt(appEnv, 'a sign saying "OPEN"', "openai", []);
    expect(result).toMatchObject({ refinedPrompt: 'A shop sign saying "OPEN"', mode: "model" });
  });

  it("falls back to the rules when the binding throws, and says why", async () => {
    spyRun().mockRejectedValue(new Error("Binding AI needs to be run remotely"));
    const result = await refinePrompt(appEnv, PROMPT, "openai", TIPS);
    expect(result).toEqual({
      refinedPrompt: "a red fox in a snowy forest, 35mm lens, soft light",
      appliedTips: ["openai.lens", "openai.lighting"],
      mode: "rules",
      note: "model refinement unavailable: the AI binding is remote-only",
    });
  });

  it("rejects junk, empty and overlong output", async () => {
    const run = spyRun().mockResolvedValueOnce({ result: 42 });
    expect(await refinePrompt(appEnv, PROMPT, "openai", TIPS)).toMatchObject({
      mode: "rules",
      note: "model output rejected: no text response",
    });
    run.mockResolvedValueOnce({ response: '  ""  ' });
    expect((await refinePrompt(appEnv, PROMPT, "openai", TIPS)).note).toBe(
      "model output rejected: empty prompt",
    );
    run.mockResolvedValueOnce({ response: "fox ".repeat(200) });
    const long = await refinePrompt(appEnv, PROMPT, "openai", TIPS);
    expect(long.mode).toBe("rules");
    expect(long.note).toMatch(/^model output rejected: \d+ chars \(max 308\)$/);
    run.mockResolvedValueOnce({ response: "x".repeat(1200) });
    const bigPrompt = "y".repeat(600);
    expect((await refinePrompt(appEnv, bigPrompt, "openai", [])).note).toContain(`max ${MAX_MODEL_PROMPT}`);
  });

  it("locally falls back without calling the remote-only binding, and logs that once", async () => {
    const run = vi.spyOn(appEnv.AI, "run");
    const lines = vi.spyOn(console, "log");
    for (let i = 0; i < 3; i++) {
      const result = await refinePrompt(appEnv, PROMPT, "openai", TIPS);
      expect(result.mode).toBe("rules");
      expect(result.note).toBe("model refinement unavailable: the AI binding is remote-only");
    }
    expect(run).not.toHaveBeenCalled();
    // At most one line per isolate (none if an earlier test of this isolate logged it), never a stack.
    const said = lines.mock.calls.map((c) => String(c[0])).filter((l) => l.includes("ai.remote_only"));
    expect(said.length).toBeLessThanOrEqual(1);
    for (const line of said) expect(line).not.toContain("    at ");
  });

  it("the platform's own remote-only error (AI_REMOTE=true without a session) is the same fallback", async () => {
    appEnv.AI_REMOTE = "true";
    const result = await refinePrompt(
      {
        ...appEnv,
        AI: { run: () => Promise.reject(new Error("Binding AI needs to be run remotely")) } as never,
      },
      PROMPT,
      "openai",
      TIPS,
    );
    expect(result).toMatchObject({
      mode: "rules",
      note: "model refinement unavailable: the AI binding is remote-only",
    });
  });
});

describe("questionsFor", () => {
  it("always asks the overall question, first", () => {
    expect(questionsFor("")).toEqual([OVERALL_QUESTION]);
    expect(questionsFor("sunset")).toEqual([OVERALL_QUESTION]);
  });

  it("asks about subjects, their colours, other colours, styles and quoted text", () => {
    expect(questionsFor('A red fox in a snowy forest, blue sky, watercolor, sign saying "OPEN"')).toEqual([
      OVERALL_QUESTION,
      "Is there a fox in the image?",
      "Is the fox red?",
      "Is there a forest in the image?",
      "Is blue clearly present in the image?",
      "Is the image in a watercolor style?",
      'Is the text "OPEN" legible in the image?',
    ]);
  });

  it("is deterministic, deduplicated and capped at eight", () => {
    const prompt = "a cat, a dog, a bird, a fish, a horse, a cow, a pig, a goat, a cat";
    const questions = questionsFor(prompt);
    expect(questions).toHaveLength(8);
    expect(new Set(questions).size).toBe(8);
    expect(questionsFor(prompt)).toEqual(questions);
  });
});

describe("judgeWithVision", () => {
  let image: Uint8Array;
  let offline: Verdict;
  const input = (extra: Partial<VisionInput> = {}): VisionInput => ({
    prompt: PROMPT,
    kind: "generate",
    image: async () => image,
    contentType: "image/png",
    offline,
    ...extra,
  });
  const answers = (verdicts: ("yes" | "no")[]) =>
    questionsFor(PROMPT).map((question, i) => ({ question, answer: verdicts[i] ?? "yes", reason: `r${i}` }));
  const reply = (body: unknown) => ({ response: JSON.stringify(body) });

  beforeAll(async () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="96" height="64"><rect width="96" height="64" fill="#eef"/><circle cx="40" cy="32" r="20" fill="#c31"/></svg>`;
    const out = await appEnv.IMAGES.input(new Blob([svg]).stream()).output({ format: "image/png" });
    image = new Uint8Array(await new Response(out.image()).arrayBuffer());
    const analysis = await analyzeImage(appEnv.IMAGES, image);
    offline = judgeOffline({ prompt: PROMPT, kind: "generate", ...analysis });
  });

  it("passes when every answer is yes, sending the image and the questions to the vision model", async () => {
    const run = spyRun().mockResolvedValue(
      reply({ answers: answers([]), tags: ["Fox", "snow"], notes: ["ok"] }),
    );
    const verdict = await judgeWithVision(appEnv, input());
    expect(verdict.judgment).toBe("pass");
    expect(verdict.retrySuggestion).toBeUndefined();
    expect(verdict.tags).toEqual(expect.arrayContaining(["fox", "snow", "landscape"]));
    expect(verdict.notes).toContain("ok");
    expect(verdict.judgeMeta).toEqual({
      judge: "vision",
      mode: "live",
      model: appEnv.DEFAULT_MODEL_VISION,
      questions: questionsFor(PROMPT),
      answers: answers([]),
    });
    const [model, request] = run.mock.calls[0] ?? [];
    expect(model).toBe(appEnv.DEFAULT_MODEL_VISION);
    expect(request?.image).toEqual([...image]);
    expect(JSON.stringify(request?.messages)).toContain("Is the fox red?");
  });

  it("fails with the model's suggestion, or one built from the no answers", async () => {
    const run = spyRun().mockResolvedValueOnce(
      reply({ answers: answers(["yes", "yes", "no"]), tags: [], notes: [], retrySuggestion: "a RED fox" }),
    );
    const withModel = await judgeWithVision(appEnv, input());
    expect(withModel).toMatchObject({ judgment: "fail", retrySuggestion: "a RED fox" });

    run.mockResolvedValueOnce(reply({ answers: answers(["no", "yes", "no"]), tags: [], notes: [] }));
    const built = await judgeWithVision(appEnv, input());
    expect(built.judgment).toBe("fail");
    expect(built.retrySuggestion).toBe(`follow the prompt more literally; make the fox red: ${PROMPT}`);
  });

  it("reads JSON wrapped in prose and ```json fences", async () => {
    const body = JSON.stringify({ answers: answers([]), tags: ["fox"], notes: [] });
    spyRun().mockResolvedValue({
      response: `Sure! Here is my verdict:\n\`\`\`json\n${body}\n\`\`\`\nThanks.`,
    });
    expect((await judgeWithVision(appEnv, input())).judgment).toBe("pass");
  });

  it("retries once, more strictly, after a malformed reply", async () => {
    const run = spyRun()
      .mockResolvedValueOnce({ response: "The image shows a fox. Looks good!" })
      .mockResolvedValueOnce(reply({ answers: answers([]), tags: [], notes: [] }));
    const verdict = await judgeWithVision(appEnv, input());
    expect(run).toHaveBeenCalledTimes(2);
    expect(verdict.judgeMeta.judge).toBe("vision");
    expect(JSON.stringify(run.mock.calls[1]?.[1])).toContain("Your previous reply was invalid");
  });

  it("uses the offline verdict with a note after two malformed replies", async () => {
    const run = spyRun().mockResolvedValue({ response: '{"answers": "yes"}' });
    const verdict = await judgeWithVision(appEnv, input());
    expect(run).toHaveBeenCalledTimes(2);
    expect(verdict.judgment).toBe(offline.judgment);
    expect(verdict.notes.slice(0, -1)).toEqual(offline.notes);
    expect(verdict.notes.at(-1)).toMatch(
      /^vision judge unavailable: malformed output twice .*heuristic judge used\.$/,
    );
    expect(verdict.judgeMeta).toMatchObject({ judge: "heuristic", mode: "offline" });
    expect("visionError" in verdict.judgeMeta && verdict.judgeMeta.visionError).toContain("malformed");
  });

  it("locally falls back without calling the remote-only binding or preparing the image", async () => {
    const run = vi.spyOn(appEnv.AI, "run");
    const prepare = vi.fn(async () => image);
    const verdict = await judgeWithVision(appEnv, input({ image: prepare }));
    expect(run).not.toHaveBeenCalled();
    expect(prepare).not.toHaveBeenCalled();
    expect(verdict.judgeMeta).toMatchObject({ judge: "heuristic", visionError: AI_REMOTE_ONLY_MESSAGE });
    expect(verdict.notes.at(-1)).toContain("vision judge unavailable");
  });
});
