/**
 * Rendering an artifact: its template (the type's default is put in R2 on first use) filled with
 * the generator's data and the user's configuration. Published only when no placeholder is missing;
 * the content goes to R2 with its content type and Content-Security-Policy, after the image
 * renditions an HTML page uses have been made.
 */

import { z } from "zod";
import { DEFAULT_OWNER } from "../auth/scopes";
import type { AppEnv } from "../lib/env";
import { ApiError } from "../lib/errors";
import { parseStoredJson } from "../lib/json";
import { type ArtifactOptions, ArtifactOptionsSchema } from "../schemas/artifacts";
import type { Artifact } from "../types/domain";
import { contentSecurityPolicy } from "./csp";
import { getGenerator } from "./registry";
import { warmPageRenditions } from "./renditions";
import { analyzeTemplate, extractPlaceholders, fillTemplate, type PlaceholderContext } from "./template";
import type { ArtifactGenerator } from "./types";

/** Configuration keys that fill placeholders; other keys (options, system state) never do. */
export const PLACEHOLDER_KEY = /^[A-Z0-9_]+$/;
const OPTIONS_KEY = "option.json";
const MISSING_KEY = "system.missing";

export const defaultTemplateKey = (type: string) => `templates/default/${type}.html`;

/**
 * Where an owner's template `name` is stored (templates are per owner). The default owner (the
 * root keys) keeps the place templates had before owners existed, so its stored keys stay valid.
 */
export const templateKeyOf = (ownerId: string, name: string) =>
  ownerId === DEFAULT_OWNER ? `templates/${name}.html` : `templates/owners/${ownerId}/${name}.html`;

/** True when `key` is one of `ownerId`'s templates (another owner's reads as unknown). */
export function ownsTemplateKey(ownerId: string, key: string): boolean {
  const name = /^templates\/(?:owners\/[A-Za-z0-9_-]+\/)?([A-Za-z0-9_-]+)\.html$/.exec(key)?.[1];
  return name !== undefined && templateKeyOf(ownerId, name) === key;
}
export const contentKey = (artifactId: string) => `artifacts/${artifactId}/content.html`;

export function generatorOf(artifact: Pick<Artifact, "type">): ArtifactGenerator {
  const generator = getGenerator(artifact.type);
  if (!generator) throw new ApiError("invalid_request", `type: unknown artifact type '${artifact.type}'`);
  return generator;
}

export function publicUrl(origin: string, artifact: Pick<Artifact, "type" | "publicSlug">): string {
  return `${origin}${generatorOf(artifact).publicPath}/${artifact.publicSlug}`;
}

export function optionsOf(artifact: Pick<Artifact, "configuration">): ArtifactOptions {
  return parseStoredJson(artifact.configuration[OPTIONS_KEY], ArtifactOptionsSchema, {}, "artifact options");
}

export const optionsEntry = (options: ArtifactOptions | undefined): Record<string, string> =>
  options && Object.keys(options).length > 0 ? { [OPTIONS_KEY]: JSON.stringify(options) } : {};

/** Placeholders still to be filled, as recorded at the last render. */
export function missingOf(artifact: Pick<Artifact, "configuration">): string[] {
  return parseStoredJson(
    artifact.configuration[MISSING_KEY],
    z.array(z.string()),
    [],
    "artifact missing placeholders",
  );
}

/** The template text and its placeholder analysis (the type's default is stored in R2 on first use). */
export async function loadTemplate(env: AppEnv, artifact: Pick<Artifact, "type" | "templateR2Key">) {
  const generator = generatorOf(artifact);
  const key = artifact.templateR2Key ?? defaultTemplateKey(generator.id);
  let object = await env.BUCKET.get(key);
  if (!object && !artifact.templateR2Key) {
    await env.BUCKET.put(key, generator.defaultTemplate, {
      httpMetadata: { contentType: "text/html; charset=utf-8" },
    });
    object = await env.BUCKET.get(key);
  }
  if (!object) throw new ApiError("invalid_request", `templateR2Key: no template stored at ${key}`);
  const html = await object.text();
  const analysis = analyzeTemplate(html);
  if (!analysis.ok) throw new ApiError("invalid_request", `template: ${analysis.reason}`);
  return {
    key,
    html,
    contexts: analysis.contexts as Map<string, PlaceholderContext>,
    placeholders: extractPlaceholders(html),
  };
}

export interface RenderOutcome {
  status: Artifact["status"];
  missing: string[];
  contentR2Key: string | null;
  contentType: string | null;
  /** Configuration entries to store with the render (the missing list). */
  configuration: Record<string, string>;
  /** Values the generator's data filled, by placeholder (for the artifact agent). */
  dataFilled: string[];
  placeholders: string[];
}

/** Renders and, when complete, writes the content to R2. The caller records the outcome in D1. */
export async function renderContent(env: AppEnv, artifact: Artifact, origin: string): Promise<RenderOutcome> {
  const generator = generatorOf(artifact);
  const template = await loadTemplate(env, artifact);
  const url = publicUrl(origin, artifact);
  const input = { env, artifact, options: optionsOf(artifact), origin, publicUrl: url };
  const { values } = await generator.generate(input);
  const userValues = Object.fromEntries(
    Object.entries(artifact.configuration).filter(([k]) => PLACEHOLDER_KEY.test(k)),
  );
  const { output, missing } = fillTemplate(template.html, { ...values, ...userValues }, template.contexts);
  const base = {
    missing,
    configuration: { [MISSING_KEY]: JSON.stringify(missing) },
    dataFilled: Object.keys(values),
    placeholders: template.placeholders,
  };
  if (missing.length > 0) {
    return {
      ...base,
      status: "draft",
      contentR2Key: artifact.contentR2Key,
      contentType: artifact.contentType,
    };
  }
  const key = contentKey(artifact.id);
  if (generator.build) {
    const built = await generator.build(input);
    await env.BUCKET.put(key, built.body, { httpMetadata: { contentType: built.contentType } });
    return { ...base, status: "published", contentR2Key: key, contentType: built.contentType };
  }
  const contentType = "text/html; charset=utf-8";
  // Before the page goes out: its images are then as fast on the first view as on the second.
  await warmPageRenditions(env, origin, output);
  await env.BUCKET.put(key, output, {
    httpMetadata: { contentType },
    customMetadata: { csp: await contentSecurityPolicy(output) },
  });
  return { ...base, status: "published", contentR2Key: key, contentType };
}
