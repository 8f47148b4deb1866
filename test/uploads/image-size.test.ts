/** declaredImageSize: the canvas read from each format's header, never by decoding. */
import { describe, expect, inject, it } from "vitest";
import { declaredImageSize, sniffImageType } from "../../src/lib/image-type";
import { pngDeclaring } from "../security/png";

const fixture = async (path: string) =>
  new Uint8Array(await (await fetch(`http://127.0.0.1:${inject("fixturePort")}${path}`)).arrayBuffer());

const text = (s: string) => new TextEncoder().encode(s);

/** A RIFF/WEBP file whose first chunk is `fourcc` with `payload` (30 bytes at least). */
function webp(fourcc: string, payload: number[]): Uint8Array {
  const out = new Uint8Array(Math.max(30, 20 + payload.length));
  out.set(text("RIFF"), 0);
  new DataView(out.buffer).setUint32(4, out.length - 8, true);
  out.set(text(`WEBP${fourcc}`), 8);
  new DataView(out.buffer).setUint32(16, payload.length, true);
  out.set(payload, 20);
  return out;
}

const le32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

describe("declaredImageSize", () => {
  it.each([
    ["/image.png", 16, 16],
    ["/image.jpg", 4, 4],
    ["/image.webp", 4, 4],
    ["/image.gif", 4, 4],
    ["/wide.png", 8193, 1],
  ])("reads %s as %i×%i", async (path, width, height) => {
    const bytes = await fixture(path);
    const type = sniffImageType(bytes);
    if (!type) throw new Error(`${path} is not an image`);
    expect(declaredImageSize(bytes, type)).toEqual({ width, height });
  });

  it("reads a PNG bomb's declared canvas without decoding it", async () => {
    expect(declaredImageSize(await pngDeclaring(100_000, 70_000, 2), "image/png")).toEqual({
      width: 100_000,
      height: 70_000,
    });
  });

  it("reads WebP VP8L (lossless) and VP8X (extended) canvases", () => {
    const vp8l = webp("VP8L", [0x2f, ...le32(((3000 - 1) | ((200 - 1) << 14)) >>> 0)]);
    expect(declaredImageSize(vp8l, "image/webp")).toEqual({ width: 3000, height: 200 });
    const v = 16_777_215; // the largest 24-bit value: a 16777216 px side
    const vp8x = webp("VP8X", [0, 0, 0, 0, v & 0xff, (v >> 8) & 0xff, v >> 16, 9, 0, 0]);
    expect(declaredImageSize(vp8x, "image/webp")).toEqual({ width: 16_777_216, height: 10 });
  });

  it("reads a JPEG whose frame header comes after other segments, and none from a cut one", async () => {
    const jpeg = await fixture("/image.jpg");
    expect(declaredImageSize(jpeg.slice(0, 140), "image/jpeg")).toBeNull();
    // An APP1 segment and fill bytes in front of everything else.
    const app1 = [0xff, 0xe1, 0x00, 0x06, 0x45, 0x78, 0x69, 0x66, 0xff];
    const longer = new Uint8Array([...jpeg.subarray(0, 2), ...app1, ...jpeg.subarray(2)]);
    expect(declaredImageSize(longer, "image/jpeg")).toEqual({ width: 4, height: 4 });
  });

  it("says nothing for a header that is cut short or declares a zero side", async () => {
    const png = await fixture("/image.png");
    expect(declaredImageSize(png.slice(0, 20), "image/png")).toBeNull();
    expect(declaredImageSize(await pngDeclaring(0, 5, 0), "image/png")).toBeNull();
    expect(declaredImageSize(text("GIF89a"), "image/gif")).toBeNull();
    expect(declaredImageSize(webp("VP8 ", [0, 0, 0, 1, 2, 3]), "image/webp")).toBeNull();
  });
});
