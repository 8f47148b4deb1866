/**
 * The ingest corpus through POST /api/uploads: lying content types, SVG, HTML, decompression bombs
 * (declared canvases over 8192 px in every format), oversize bodies (declared, chunked without
 * Content-Length, in a form), empty bodies; each refused with nothing stored.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { call, createOwner, expectError, type OwnedKey } from "../helpers";
import { pngDeclaring } from "../security/png";
import {
  chunkedPng,
  fixtureBytes,
  fixtureImages,
  MIB,
  storedFor,
  upload,
  uploadForm,
  uploadInProcess,
} from "./helpers";

let png: Uint8Array;
let jpeg: Uint8Array;
let gif: Uint8Array;

beforeAll(async () => {
  ({ png, jpeg, gif } = await fixtureImages());
});

const text = (s: string) => new TextEncoder().encode(s);
const SVG = text('<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" onload="alert(1)"/>');
const HTML = text("<html><script>alert(1)</script></html>");

/** `bytes` with `patch` written at `at`. */
function patched(bytes: Uint8Array, at: number, patch: number[]): Uint8Array {
  const copy = bytes.slice();
  copy.set(patch, at);
  return copy;
}

/** The JPEG fixture with its SOF0 frame header (FF C0 00 11 08 H H W W) saying `width` × `height`. */
function jpegDeclaring(width: number, height: number): Uint8Array {
  const at = jpeg.findIndex(
    (b, i) => b === 0xff && jpeg[i + 1] === 0xc0 && jpeg[i + 2] === 0 && jpeg[i + 3] === 0x11,
  );
  if (at < 0) throw new Error("the JPEG fixture has no SOF0");
  return patched(jpeg, at + 5, [height >> 8, height & 0xff, width >> 8, width & 0xff]);
}

/** A 30-byte WebP whose VP8X header declares a `side` × `side` canvas. */
function webpDeclaring(side: number): Uint8Array {
  const out = new Uint8Array(30);
  out.set(text("RIFF"), 0);
  new DataView(out.buffer).setUint32(4, 22, true);
  out.set(text("WEBPVP8X"), 8);
  new DataView(out.buffer).setUint32(16, 10, true);
  const v = side - 1;
  out.set([v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff], 24);
  return out;
}

describe("refusals store nothing", () => {
  let who: OwnedKey;
  beforeAll(async () => {
    who = await createOwner();
  });

  const expectNothingStored = async () =>
    expect(await storedFor(who.ownerId)).toEqual({ objects: [], rows: 0 });

  it.each([
    [
      "PNG bytes sent as image/jpeg",
      () => png,
      "image/jpeg",
      /Content-Type says image\/jpeg but the bytes are image\/png/,
    ],
    ["JPEG bytes sent as image/gif", () => jpeg, "image/gif", /the bytes are image\/jpeg/],
    ["HTML sent as image/png", () => HTML, "image/png", /not a PNG, JPEG, WebP or GIF image/],
    ["SVG sent as image/png", () => SVG, "image/png", /not a PNG, JPEG, WebP or GIF image/],
    ["JSON sent as image/jpeg", () => text('{"a":1}'), "image/jpeg", /not a PNG, JPEG, WebP or GIF image/],
    ["SVG as image/svg+xml", () => SVG, "image/svg+xml", /Content-Type must be image\/png/],
    ["HTML as text/html", () => HTML, "text/html", /Content-Type must be/],
    ["PNG bytes as application/octet-stream", () => png, "application/octet-stream", /Content-Type must be/],
    ["JSON as application/json", () => text("{}"), "application/json", /Content-Type must be/],
    ["a body without Content-Type", () => png, undefined, /Content-Type must be/],
  ])("%s → 415", async (_, bytes, type, message) => {
    const body = await expectError(await upload(who.key, bytes(), type), 415, "unsupported_media_type");
    expect(body.error.message).toMatch(message);
    await expectNothingStored();
  });

  it.each([
    ["SVG in a form", () => SVG],
    ["HTML in a form", () => HTML],
    ["a corrupt PNG in a form", () => patched(png, 33, new Array(40).fill(7))],
  ])("%s → 415", async (_, bytes) => {
    await expectError(await uploadForm(who.key, bytes(), "image/png"), 415, "unsupported_media_type");
    await expectNothingStored();
  });

  it("refuses a PNG that cannot be decoded (415), without the decoder's message", async () => {
    const corrupt = patched(png, 33, new Array(40).fill(7));
    const body = await expectError(
      await upload(who.key, corrupt, "image/png"),
      415,
      "unsupported_media_type",
    );
    expect(body.error.message).toBe("upload: the image/png image could not be decoded");
    await expectNothingStored();
  });

  it("refuses a PNG bomb (a few hundred bytes declaring 100000×100000) before decoding (413)", async () => {
    const bomb = await pngDeclaring(100_000, 100_000, 2);
    expect(bomb.byteLength).toBeLessThan(4096);
    const body = await expectError(await upload(who.key, bomb, "image/png"), 413, "payload_too_large");
    expect(body.error.message).toBe("upload: the image is 100000×100000 px; at most 8192 px per side");
    await expectNothingStored();
  });

  it.each([
    ["a PNG 8193 px wide", async () => fixtureBytes("/wide.png"), "image/png", "8193×1"],
    [
      "a GIF declaring 65535×65535",
      async () => patched(gif, 6, [0xff, 0xff, 0xff, 0xff]),
      "image/gif",
      "65535×65535",
    ],
    ["a JPEG whose SOF declares 9000×9000", async () => jpegDeclaring(9000, 9000), "image/jpeg", "9000×9000"],
    [
      "a WebP whose VP8X declares 20000×20000",
      async () => webpDeclaring(20_000),
      "image/webp",
      "20000×20000",
    ],
  ])("refuses %s (413)", async (_, bytes, type, size) => {
    const body = await expectError(await upload(who.key, await bytes(), type), 413, "payload_too_large");
    expect(body.error.message).toContain(`${size} px; at most 8192 px per side`);
    await expectNothingStored();
  });

  it("refuses over 20 MiB sent chunked without Content-Length (413), counted as it arrives", async () => {
    const { body, done } = chunkedPng(21 * MIB);
    const res = await uploadInProcess(who.key, body, "image/png");
    expect(res.headers.get("content-length")).toBeNull();
    await expectError(res, 413, "payload_too_large");
    await done;
    await expectNothingStored();
  });

  it("refuses a declared Content-Length over 20 MiB at once (413)", async () => {
    const res = await uploadInProcess(who.key, new Uint8Array(20 * MIB + 1), "image/png");
    await expectError(res, 413, "payload_too_large");
    await expectNothingStored();
  });

  it("refuses a form whose file is over 20 MiB (413)", async () => {
    const big = new Uint8Array(20 * MIB + 1);
    big.set(png);
    await expectError(await uploadForm(who.key, big), 413, "payload_too_large");
    await expectNothingStored();
  });

  it.each([
    ["no body", () => upload(who.key, null, "image/png")],
    ["an empty body", () => upload(who.key, new Uint8Array(0), "image/png")],
    ["no body and no Content-Type", () => upload(who.key, null)],
    ["an empty file in a form", () => uploadForm(who.key, new Uint8Array(0))],
    ["a form without a file field", () => uploadForm(who.key, png, "image/png", "image")],
  ])("answers %s with 400", async (_, send) => {
    await expectError(await send(), 400, "invalid_request");
    await expectNothingStored();
  });

  it("answers a form field that is text, not a file, with 400", async () => {
    const form = new FormData();
    form.append("file", "iVBORw0KGgo=");
    await expectError(
      await call("/api/uploads", { method: "POST", key: who.key, rawBody: form }),
      400,
      "invalid_request",
    );
    await expectNothingStored();
  });
});
