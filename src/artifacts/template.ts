/**
 * Artifact templates: HTML with `{{NAME}}` placeholders (names of [A-Z0-9_]). Placeholders are only
 * allowed where an escaped value is safe: element text and quoted attribute values, never inside
 * <script>, <style> or event-handler attributes. In a URL attribute (`src`, `href`, ...) a
 * placeholder is either the start of the value (and its value must then be an http(s) URL) or follows
 * a fixed `http://` / `https://` prefix the template wrote; after anything else (`javascript:{{X}}`,
 * `{{A}}{{B}}`) the template chose the scheme, so it is refused.
 */
import { escapeHtml, isHttpUrl } from "../lib/html";

const PLACEHOLDER = /\{\{([A-Z0-9_]+)\}\}/g;

/** The distinct placeholder names of a template, in order of first appearance. */
export function extractPlaceholders(html: string): string[] {
  return [...new Set([...html.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ""))].filter((n) => n !== "");
}

/**
 * `url`: the placeholder starts a URL attribute's value (the value must be an http(s) URL);
 * `url-part`: it follows a fixed http(s):// prefix (any text, escaped; the scheme is the template's).
 */
export type PlaceholderContext = "text" | "url" | "url-part";

const URL_ATTRIBUTES = new Set([
  "href",
  "src",
  "srcset",
  "poster",
  "action",
  "formaction",
  "cite",
  "background",
  "ping",
  "xlink:href",
  "data",
  "manifest",
]);
/** What may precede a placeholder inside a URL attribute: nothing, or a literal http(s):// prefix. */
const FIXED_HTTP_PREFIX = /^https?:\/\/\S*$/i;
const RANK: Record<PlaceholderContext, number> = { text: 0, "url-part": 1, url: 2 };

/** The stricter of two contexts: a name used in several places must be safe in all of them. */
const stricter = (a: PlaceholderContext | undefined, b: PlaceholderContext): PlaceholderContext =>
  a !== undefined && RANK[a] > RANK[b] ? a : b;

/** Where each placeholder sits, or the reason the template is unsafe. */
export function analyzeTemplate(
  html: string,
): { ok: true; contexts: Map<string, PlaceholderContext> } | { ok: false; reason: string } {
  const blocked: [number, number][] = [];
  for (const m of html.matchAll(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi))
    blocked.push([m.index, m.index + m[0].length]);
  const contexts = new Map<string, PlaceholderContext>();
  for (const m of html.matchAll(PLACEHOLDER)) {
    const name = m[1] ?? "";
    const at = m.index;
    if (blocked.some(([from, to]) => at >= from && at < to)) {
      return { ok: false, reason: `{{${name}}} is inside a <script> or <style> block` };
    }
    const before = html.slice(0, at);
    const tagStart = before.lastIndexOf("<");
    const inTag = tagStart > before.lastIndexOf(">");
    if (!inTag) {
      contexts.set(name, stricter(contexts.get(name), "text"));
      continue;
    }
    const attr = /([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(["'])([^"']*)$/.exec(before.slice(tagStart));
    if (!attr) return { ok: false, reason: `{{${name}}} must be inside a quoted attribute value` };
    const attrName = (attr[1] ?? "").toLowerCase();
    if (attrName.startsWith("on") || attrName === "style" || attrName === "srcdoc") {
      return { ok: false, reason: `{{${name}}} is inside the ${attrName} attribute` };
    }
    if (!URL_ATTRIBUTES.has(attrName)) {
      contexts.set(name, stricter(contexts.get(name), "text"));
      continue;
    }
    const prefix = attr[3] ?? "";
    if (prefix !== "" && !FIXED_HTTP_PREFIX.test(prefix)) {
      return {
        ok: false,
        reason: `{{${name}}} in ${attrName} must be the whole value or follow a fixed http(s):// prefix, not "${prefix.slice(0, 40)}"`,
      };
    }
    contexts.set(name, stricter(contexts.get(name), prefix === "" ? "url" : "url-part"));
  }
  return { ok: true, contexts };
}

/** A value for a placeholder: text (escaped on output) or an HTML fragment the generator built itself. */
export type FillValue = string | { html: string };

/**
 * Fills a template. Text values are HTML-escaped; URL-context values that are not http(s) URLs are
 * left unfilled. Returns the output and the placeholders nothing filled.
 */
export function fillTemplate(
  html: string,
  values: Record<string, FillValue | undefined>,
  contexts: Map<string, PlaceholderContext>,
): { output: string; missing: string[] } {
  const missing = new Set<string>();
  const output = html.replace(PLACEHOLDER, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) {
      missing.add(name);
      return whole;
    }
    if (typeof value !== "string") return value.html;
    if (contexts.get(name) === "url" && !isHttpUrl(value)) {
      missing.add(name);
      return whole;
    }
    return escapeHtml(value);
  });
  return { output, missing: [...missing] };
}
