/**
 * Text for the PDF's standard fonts: they encode WinAnsi only, and pdf-lib throws on anything else,
 * so every user string is mapped to what the font can draw (accents dropped where that helps, a few
 * symbols spelled out, the rest "?") and wrapped to a width.
 */
import type { PDFFont } from "pdf-lib";

/** Common symbols outside WinAnsi, spelled with characters inside it. */
const SPELLED: Record<string, string> = {
  "\u2192": "->",
  "\u2190": "<-",
  "\u2194": "<->",
  "\u21d2": "=>",
  "\u2264": "<=",
  "\u2265": ">=",
  "\u2260": "!=",
  "\u2212": "-",
  "\u2011": "-",
  "\u2010": "-",
  "\u2713": "v",
  "\u2717": "x",
  "\u00d7": "x",
};

const charsets = new WeakMap<PDFFont, Set<number>>();

function charset(font: PDFFont): Set<number> {
  let set = charsets.get(font);
  if (!set) {
    set = new Set(font.getCharacterSet());
    charsets.set(font, set);
  }
  return set;
}

/** `text` with every character the font cannot encode replaced; whitespace runs become one space. */
export function drawable(font: PDFFont, text: string): string {
  const known = charset(font);
  let out = "";
  for (const char of text.replace(/\s+/gu, " ")) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0)) continue;
    if (known.has(code)) {
      out += char;
      continue;
    }
    const spelled = SPELLED[char];
    if (spelled !== undefined) {
      out += spelled;
      continue;
    }
    // "ő" → "o", "ﬁ" → "fi": the decomposition without its combining marks, when the font has it.
    const base = char.normalize("NFKD").replace(/\p{M}/gu, "");
    out += base !== "" && [...base].every((c) => known.has(c.codePointAt(0) ?? 0)) ? base : "?";
  }
  return out.trim();
}

/** Lines of at most `width` points at `size`; a word longer than a line is split inside. */
export function wrap(font: PDFFont, text: string, size: number, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  const fits = (s: string) => font.widthOfTextAtSize(s, size) <= width;
  for (const word of drawable(font, text).split(" ")) {
    if (word === "") continue;
    const candidate = line === "" ? word : `${line} ${word}`;
    if (fits(candidate)) {
      line = candidate;
      continue;
    }
    if (line !== "") lines.push(line);
    line = "";
    let rest = word;
    while (!fits(rest)) {
      let cut = rest.length - 1;
      while (cut > 1 && !fits(rest.slice(0, cut))) cut--;
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    line = rest;
  }
  if (line !== "") lines.push(line);
  return lines;
}
