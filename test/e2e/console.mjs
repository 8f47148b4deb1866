// npm run test:e2e: the console in Debian Chromium (playwright-core) against a fresh
// `wrangler dev --local` on a free loopback port (its root key: server.key, the only API_KEYS):
// the key prompt first (the key is used as typed: no save step), project, a 2-variant `local` job
// watched to the end over a stream opened with a stream token (a fresh one after a drop, never the
// key in a URL), the gallery, a published lookbook opened with its images loaded, the Keys panel
// (create with the secret shown once and copied, revoke after a confirmation), a read-only key that
// sees no Generate / create / delete / Keys and whose revocation brings the prompt back, /docs, the
// console at 390 px without horizontal scroll, and Delete of an artifact, an image and a project
// (confirmed in the dialog; the project's deletion followed until complete). Image creation: a start
// image from disk (the file picker; a drop on the drop zone at 390 px), the three start sources
// replacing each other, kinds and parameters offered by what the chosen providers can do, a mask
// painted by keyboard and by mouse over the top of the picture, inpaint with `local` (the card's
// size, seed, model, latency, estimated cost and no warnings; "Same seed"; the kept part of the
// picture unchanged, checked on the result's pixels), outpaint to 16:9 and upscale ×2 of a second
// picture (the card's size). Nothing may load from another origin. Screenshots go to
// .wrangler/e2e/screenshots/.
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode, encode } from "fast-png";
import { chromium } from "playwright-core";
import { startDevServer } from "../../bench/dev-server.mjs";
import { alarmingLines } from "../docs/quiet.mjs";

const STATE = ".wrangler/e2e/state";
const SHOTS = ".wrangler/e2e/screenshots";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// Without the background-networking flags Chromium keeps dialing Google's hosts on a closed network.
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

rmSync(STATE, { recursive: true, force: true });
mkdirSync(SHOTS, { recursive: true });
const server = await startDevServer({ persist: STATE });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
const foreign = [];
const problems = [];
/** Every URL a page asked for (WebSockets included): no API key may ever be in one. */
const urls = [];

/**
 * A page that records every request to another origin and every console error. `expected` matches
 * the problems this page is meant to cause (a revoked key's 401).
 */
async function openPage(viewport, { expected, permissions } = {}) {
  const context = await browser.newContext({ viewport });
  if (permissions) await context.grantPermissions(permissions, { origin: server.base });
  const page = await context.newPage();
  const problem = (text) => !expected?.test(text) && problems.push(text);
  page.on("request", (req) => {
    const url = req.url();
    urls.push(url);
    if (!url.startsWith(server.base) && !url.startsWith("data:") && !url.startsWith("blob:"))
      foreign.push(url);
  });
  page.on("websocket", (ws) => urls.push(ws.url()));
  page.on("console", (msg) => msg.type() === "error" && problem(`${msg.text()} ${msg.location().url}`));
  page.on("response", (r) => r.status() >= 400 && problem(`${r.status()} ${r.url()}`));
  page.on("pageerror", (err) => problem(err.message));
  return page;
}

/** The API from Node, as `key` (default: the root key). */
async function call(method, path, body, key = server.key) {
  const res = await fetch(`${server.base}${path}`, {
    method,
    headers: { "x-api-key": key, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/**
 * A 512×384 photo stand-in: a sky gradient over dark ground with a sun, different on every row and
 * column, so a changed pixel shows.
 */
function startPicture(width = 512, height = 384) {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const ground = y > height * 0.55;
      const sun = (x - width * 0.7) ** 2 + (y - height * 0.3) ** 2 < (height * 0.12) ** 2;
      data[i] = sun ? 250 : ground ? 40 + (x % 50) : (60 + (y * 120) / height) | 0;
      data[i + 1] = sun ? 200 : ground ? 70 + (y % 40) : (110 + (x * 80) / width) | 0;
      data[i + 2] = sun ? 60 : ground ? 30 : (200 - (y * 60) / height) | 0;
      data[i + 3] = 255;
    }
  }
  return encode({ width, height, data, channels: 4, depth: 8 });
}

/**
 * A second, unrelated picture (diagonal bands and a dark block): what the upscale starts from, so
 * its result is no near-duplicate of the outpaint's (which holds the first picture whole).
 */
function bandsPicture(width = 320, height = 240) {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const band = Math.floor((x + y) / 40) % 3;
      const block = x > width * 0.15 && x < width * 0.45 && y > height * 0.5 && y < height * 0.85;
      data[i] = block ? 20 : [230, 30, 120][band];
      data[i + 1] = block ? 20 : [90, 160, 40][band];
      data[i + 2] = block ? 40 : [40, 200, 220][band];
      data[i + 3] = 255;
    }
  }
  return encode({ width, height, data, channels: 4, depth: 8 });
}

/** Drops `bytes` as a PNG file on `selector`, as a person dragging it from the desktop would. */
async function dropFile(page, selector, bytes, name) {
  const transfer = await page.evaluateHandle(
    ({ b64, name }) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([data], name, { type: "image/png" }));
      return dt;
    },
    { b64: Buffer.from(bytes).toString("base64"), name },
  );
  for (const type of ["dragenter", "dragover", "drop"])
    await page.dispatchEvent(selector, type, { dataTransfer: transfer });
}

const START_PNG = startPicture();
const START_FILE = join(tmpdir(), `picasso-e2e-start-${process.pid}.png`);
writeFileSync(START_FILE, START_PNG);
const SECOND_FILE = join(tmpdir(), `picasso-e2e-second-${process.pid}.png`);
writeFileSync(SECOND_FILE, bandsPicture());

const step = (name) => console.log(`e2e: ${name}`);
const shot = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
/** How many buttons named `name` a person can see (hidden ones are not in the accessibility tree). */
const buttons = (page, name) => page.getByRole("button", { name, exact: true }).count();

try {
  const page = await openPage(
    { width: 1280, height: 900 },
    { permissions: ["clipboard-read", "clipboard-write"] },
  );
  const sockets = [];
  page.on("websocket", (ws) => sockets.push(ws.url()));
  await page.goto(`${server.base}/`);

  step("the key prompt comes first");
  await page.locator("#locked").waitFor();
  assert.equal(await page.locator("#workspace").isHidden(), true, "nothing but the prompt without a key");
  assert.equal(await buttons(page, "Create project"), 0);
  assert.equal(await buttons(page, "Generate"), 0);
  assert.equal((await page.locator("#key-status").textContent())?.trim(), "Enter your API key to start.");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "api-key", "the key field has focus");
  await shot(page, "0-key-prompt");

  step("the key as typed: Create project with no save step");
  await page.getByLabel("API key").fill(server.key);
  await page.getByLabel("Project name").fill("E2E lighthouses");
  await page.getByRole("button", { name: "Create project" }).click();
  await page.getByText("Created “E2E lighthouses”.").waitFor();
  assert.deepEqual(await page.locator("#key-scopes .chip").allTextContents(), ["read", "write", "admin"]);
  assert.equal(await page.locator("#key-owner").textContent(), "Owner default");
  assert.equal(await page.locator("#key-root").textContent(), "root key (API_KEYS)");
  assert.equal(await page.evaluate(() => localStorage.getItem("picasso.apiKey")), server.key, "remembered");

  step("job: local, 2 variants, over a stream opened with a token");
  for (const id of ["local", "openai", "gemini", "workers"]) {
    assert.equal(await page.getByLabel(id, { exact: true }).count(), 1, `a checkbox labelled ${id}`);
  }
  assert.equal(await page.getByLabel("local", { exact: true }).isChecked(), true);
  // Offline, the providers that cannot run here say so up front (GET /api/providers).
  assert.equal(await page.locator("#p-local-note").count(), 0, "local has no note");
  for (const [id, note] of [
    ["openai", "not configured here"],
    ["gemini", "not configured here"],
    ["workers", "not available here (AI is remote-only)"],
  ]) {
    assert.equal((await page.locator(`#p-${id}-note`).textContent())?.trim(), `— ${note}`, `${id}'s note`);
  }
  await page.getByText("Live stream: live").waitFor();
  const sessionId = await page.evaluate(() => localStorage.getItem("picasso.sessionId"));
  const tokenOf = (url) => new URL(url).searchParams.get("token");
  assert.equal(sockets.length, 1, `one stream socket (${sockets.join(", ")})`);
  assert.equal(new URL(sockets[0]).pathname, `/api/stream/${sessionId}`);
  assert.match(tokenOf(sockets[0]) ?? "", /^st_/, `the stream is opened with a stream token: ${sockets[0]}`);
  await page.getByLabel("Variants").fill("2");
  await page.getByRole("button", { name: "Generate" }).click();
  await page.getByText(/Job finished: /).waitFor({ timeout: 90_000 });
  const statuses = await page.locator(".task .status").allTextContents();
  assert.deepEqual(statuses, ["complete", "complete"], `task statuses: ${statuses.join(", ")}`);
  const bars = await page.locator(".task progress").evaluateAll((els) => els.map((el) => el.value));
  assert.deepEqual(bars, [1, 1]);
  await page.waitForFunction(() =>
    [...document.querySelectorAll(".task img")].every((i) => i.complete && i.naturalWidth > 0),
  );
  await shot(page, "1-job-complete");

  step("reconnect after a drop: a fresh token, and the page catches up with &since=");
  const projectId = await page.locator("#project-pick").inputValue();
  const evicted = await call("POST", `/api/dev/sessions/${sessionId}/evict`, {});
  assert.ok(evicted.status < 300, `evict answered ${evicted.status}`);
  const submitted = await call("POST", `/api/projects/${projectId}/jobs`, {
    prompt: "a red kite over dunes",
    providers: ["local"],
    variants: 1,
    sessionId,
  });
  assert.equal(submitted.status, 202);
  await page.getByText(/Job finished: .* of 1\./).waitFor({ timeout: 90_000 });
  const again = sockets.slice(1).find((url) => /[?&]since=\d+/.test(url));
  assert.ok(again, `reconnected with &since= (${sockets.join(", ")})`);
  assert.match(tokenOf(again) ?? "", /^st_/);
  assert.notEqual(tokenOf(again), tokenOf(sockets[0]), "a fresh token for the reconnection");

  step("gallery and lineage");
  // Every image of both jobs: the gallery reloads after each job, so wait for the last reload.
  const listed = await call("GET", `/api/projects/${projectId}/progressions?limit=48`);
  const images = listed.json.progressions.length;
  assert.ok(images >= 1, `the project has the new images (${images})`);
  await page.waitForFunction((n) => document.querySelectorAll("#gallery li").length === n, images);
  await page.getByRole("button", { name: "Lineage" }).first().click();
  await page.locator("#lineage-steps li.step").first().waitFor();
  await shot(page, "2-gallery");

  step("lookbook");
  await page.getByLabel("Title").fill("E2E lookbook");
  await page.getByRole("button", { name: "Publish lookbook" }).click();
  const link = page.getByRole("link", { name: "E2E lookbook (lookbook)" });
  await link.waitFor();
  const href = await link.getAttribute("href");
  assert.ok(href?.startsWith(`${server.base}/public/lookbook/`), `public URL ${href}`);
  const types = await page.locator("#artifact-type option").count();
  assert.ok(types >= 15, `the picker lists the other types (${types})`);

  const book = await openPage({ width: 1280, height: 900 });
  const res = await book.goto(href);
  assert.equal(res?.status(), 200);
  // Lazy images below the fold never load in a headless shot: make them eager, then wait.
  await book.evaluate(() => {
    for (const img of document.querySelectorAll("img")) img.loading = "eager";
  });
  await book.waitForFunction(
    () => {
      const imgs = [...document.querySelectorAll("img")];
      return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
    },
    undefined,
    { timeout: 30_000 },
  );
  const loaded = await book.locator("img").count();
  assert.ok(loaded >= 1, "the lookbook shows images");
  await shot(book, "3-lookbook");

  step("Keys panel: create a key, its secret shown once and copied");
  const keys = page.getByRole("region", { name: "Keys of this owner" });
  await page.getByRole("heading", { name: "Keys" }).waitFor();
  await page.getByLabel("Key name").fill("e2e temp");
  await page.getByLabel("write", { exact: true }).check();
  const inAYear = new Date(Date.now() + 365 * 86_400_000);
  const local = new Date(inAYear.getTime() - inAYear.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  await page.getByLabel("Expires (optional)").fill(local);
  await page.getByRole("button", { name: "Create key" }).click();
  const secretField = page.getByLabel("Secret", { exact: true });
  await secretField.waitFor();
  const secret = await secretField.inputValue();
  assert.match(secret, /^pk_/, "the new secret is shown");
  await page.getByText("It will not be shown again").waitFor();
  await page.getByRole("button", { name: "Copy" }).click();
  await page.getByText("Copied to the clipboard.").waitFor();
  assert.equal(
    await page.evaluate(() => navigator.clipboard.readText()),
    secret,
    "Copy put the secret there",
  );
  const temp = await call("GET", "/api/keys/self", undefined, secret);
  assert.equal(temp.status, 200);
  assert.deepEqual(temp.json.scopes, ["read", "write"]);
  const tempRow = keys.getByRole("row").filter({ hasText: "e2e temp" });
  await tempRow.getByText("active").waitFor();
  assert.match((await tempRow.textContent()) ?? "", /read.*write/);
  await page
    .getByRole("heading", { name: "Keys" })
    .locator("xpath=..")
    .screenshot({ path: join(SHOTS, "4-keys-created.png") });
  await page.getByRole("button", { name: "Done" }).click();
  assert.equal(await page.locator("#new-secret").isHidden(), true, "the secret is gone once done");
  assert.equal(await page.locator("#new-secret-value").inputValue(), "");

  step("Keys panel: revoke after a confirmation (Escape cancels; Tab, Enter confirms)");
  const dialog = page.getByRole("dialog");
  await page.getByRole("button", { name: "Revoke e2e temp" }).click();
  await dialog.waitFor();
  assert.equal(
    await page.evaluate(() => document.activeElement?.textContent),
    "Cancel",
    "focus starts on Cancel",
  );
  await page.keyboard.press("Escape");
  await page.getByText("Nothing was revoked.").waitFor();
  assert.equal(await dialog.count(), 0);
  assert.equal((await call("GET", "/api/keys/self", undefined, secret)).status, 200, "still valid");
  await page.getByRole("button", { name: "Revoke e2e temp" }).click();
  await dialog.getByText("Anything using it is refused").waitFor();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Revoke key");
  await page.keyboard.press("Enter");
  await page.getByText("Revoked “e2e temp”").waitFor();
  await tempRow.getByText(/^revoked /).waitFor();
  assert.equal(await tempRow.getByRole("button", { name: "Revoke e2e temp" }).count(), 0);
  assert.equal((await call("GET", "/api/keys/self", undefined, secret)).status, 401, "refused once revoked");

  step("a read-only key: no Generate, no create or delete, no Keys panel");
  const made = await call("POST", "/api/keys", { name: "e2e read-only", scopes: ["read"] });
  assert.equal(made.status, 201);
  // Revoked below on purpose: its page expects the 401 that follows.
  const reader = await openPage({ width: 1280, height: 900 }, { expected: /\b401\b/ });
  await reader.goto(`${server.base}/`);
  await reader.getByLabel("API key").fill(made.json.key);
  await reader.locator("#gallery li").first().waitFor();
  assert.deepEqual(await reader.locator("#key-scopes .chip").allTextContents(), ["read"]);
  assert.match((await reader.locator("#key-means").textContent()) ?? "", /^Read-only/);
  assert.equal(await reader.locator("#project-pick option:checked").textContent(), "E2E lighthouses");
  assert.equal(await reader.locator("#gallery li").count(), images, "the same gallery");
  assert.ok((await buttons(reader, "Lineage")) >= 1, "Lineage is reading");
  for (const name of ["Generate", "Create project", "Delete project", "Roll back", "Continue from here"]) {
    assert.equal(await buttons(reader, name), 0, `no ${name} for a read-only key`);
  }
  assert.equal(await reader.getByRole("button", { name: /^Delete/ }).count(), 0, "no Delete at all");
  assert.equal(await reader.getByRole("button", { name: "Publish lookbook" }).count(), 0);
  assert.equal(await reader.getByRole("heading", { name: "Keys" }).count(), 0, "no Keys panel");
  await shot(reader, "5-read-only");

  step("a 401 brings the key prompt back with the error");
  const revokedRo = await call("DELETE", `/api/keys/${made.json.id}`);
  assert.equal(revokedRo.status, 200);
  assert.ok(revokedRo.json.revokedAt > 0);
  await reader.getByRole("button", { name: "Filter" }).click();
  await reader.locator("#key-status", { hasText: "This API key has been revoked" }).waitFor();
  assert.equal(await reader.locator("#workspace").isHidden(), true);
  assert.equal(await reader.locator("#locked").isVisible(), true);
  assert.equal(await reader.evaluate(() => document.activeElement?.id), "api-key");

  step("docs");
  const docs = await openPage({ width: 1280, height: 900 });
  await docs.goto(`${server.base}/docs`);
  await docs.getByText("Picasso backend API").first().waitFor({ timeout: 30_000 });
  await docs.locator(".opblock").first().waitFor();
  await shot(docs, "6-docs");

  step("phone width 390 px");
  const phone = await openPage({ width: 390, height: 844 });
  await phone.goto(`${server.base}/`);
  await phone.getByLabel("API key").fill(server.key);
  await phone.locator("#gallery li").first().waitFor();
  await phone.locator("#keys-list tr").first().waitFor();
  // Drag and drop onto the drop zone; then the mask painter must fit the phone's width too.
  await dropFile(phone, "#drop-zone", START_PNG, "dropped.png");
  await phone.locator("#start-text", { hasText: "From disk: dropped.png — 512×384 px" }).waitFor();
  await phone.getByLabel("Kind").selectOption("inpaint");
  await phone.getByRole("application", { name: "Mask painter over the start image" }).waitFor();
  await phone.waitForFunction(() => document.querySelector("#mask-paint")?.width === 512);
  await shot(phone, "7-phone");
  await phone.screenshot({ path: join(SHOTS, "7-phone-top.png") });
  await phone
    .getByRole("heading", { name: "Keys" })
    .locator("xpath=..")
    .screenshot({ path: join(SHOTS, "7-phone-keys.png") });
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  const wide = await phone.evaluate(() =>
    [...document.querySelectorAll("body *")]
      .filter((node) => node.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(0, 5)
      .map((node) => `${node.tagName.toLowerCase()}${node.id ? `#${node.id}` : ""}.${node.className}`),
  );
  assert.ok(overflow <= 0, `horizontal scroll of ${overflow}px at 390 px (${wide.join(", ")})`);

  step("delete an artifact (confirmed): its public page is 404 at once");
  await page.getByRole("button", { name: "Delete E2E lookbook (lookbook)" }).click();
  await dialog.getByRole("button", { name: "Delete artifact" }).click();
  await page.getByText("Deleted “E2E lookbook”").waitFor();
  assert.equal(await link.count(), 0, "gone from the list");
  assert.equal((await fetch(href)).status, 404, "its public page is gone");

  step("delete an image (confirmed)");
  const doomed = await page.locator("#gallery li").first().getAttribute("data-id");
  await page
    .locator("#gallery li")
    .first()
    .getByRole("button", { name: /^Delete image/ })
    .click();
  await dialog.getByText("This cannot be undone").waitFor();
  await dialog.getByRole("button", { name: "Delete image" }).click();
  await page.getByText("Image deleted.").waitFor();
  assert.equal(await page.locator("#gallery li").count(), images - 1);
  assert.equal(await page.locator(`#gallery li[data-id="${doomed}"]`).count(), 0);
  assert.equal((await call("GET", `/api/progressions/${doomed}`)).status, 404);

  step("start image from disk: the file picker uploads it at once; a thumbnail and its size");
  await page.getByLabel("Variants").fill("1");
  await page.getByLabel("Image from disk").setInputFiles(START_FILE);
  const startText = page.locator("#start-text");
  await startText
    .getByText(/^From disk: picasso-e2e-start-\d+\.png — 512×384 px, \d+ KiB \(image\/png\), uploaded\.$/)
    .waitFor();
  await page.waitForFunction(() => {
    const img = document.querySelector("#start-thumb");
    return img?.complete && img.naturalWidth === 512 && img.naturalHeight === 384;
  });
  assert.equal(await page.getByRole("img", { name: /^Start image picasso-e2e-start/ }).isVisible(), true);

  step("the three start sources replace each other");
  await page.getByLabel("or an image URL").fill("https://example.com/photo.png");
  assert.equal(await page.locator("#start-preview").isHidden(), true, "a URL replaces the upload");
  assert.equal(await page.getByLabel("Image from disk").inputValue(), "");
  await page.locator("#gallery li").first().getByRole("button", { name: "Continue from here" }).click();
  await startText.getByText(/^Continuing from step /).waitFor();
  assert.equal(
    await page.getByLabel("or an image URL").inputValue(),
    "",
    "the gallery image replaces the URL",
  );
  // A gallery image is drawn on too (loaded from /images at its natural size); a URL's cannot be shown.
  await page.getByLabel("Kind").selectOption("inpaint");
  await page.waitForFunction(() => {
    const img = document.querySelector("#mask-image");
    return (
      img?.complete &&
      img.naturalWidth > 1 &&
      document.querySelector("#mask-paint")?.width === img.naturalWidth
    );
  });
  await page.getByLabel("or an image URL").fill("https://example.com/photo.png");
  await page.locator("#mask-none").waitFor();
  assert.equal(await page.locator("#mask-editor").isHidden(), true, "no painter over a foreign URL");
  await page.getByLabel("Kind").selectOption("generate");
  await page.getByLabel("Image from disk").setInputFiles(START_FILE);
  await startText.getByText(/^From disk: /).waitFor();
  assert.equal(await page.getByLabel("or an image URL").inputValue(), "", "the file replaces the URL");

  step("kinds and parameters follow the chosen providers (GET /api/providers)");
  const kinds = () => page.locator("#kind option").allTextContents();
  assert.deepEqual(await kinds(), ["generate", "edit", "inpaint", "outpaint", "variation", "upscale"]);
  assert.equal(
    await page.getByLabel("Strength (0–1)").isHidden(),
    true,
    "strength is for edit and variation",
  );
  assert.equal(await page.getByLabel("Upscale factor").isHidden(), true);
  await page.getByLabel("openai", { exact: true }).check();
  assert.equal((await kinds()).includes("upscale"), false, "openai cannot upscale: not offered");
  await page.locator("#kind-note", { hasText: "Not offered by the chosen providers: upscale." }).waitFor();
  await page.locator("#param-aspect-note", { hasText: "approximate with openai" }).waitFor();
  assert.equal(await page.getByLabel("Model (openai)").count(), 1, "a model picker per chosen provider");
  await page.getByLabel("openai", { exact: true }).uncheck();
  assert.equal(await page.locator("#param-aspect-note").isHidden(), true);
  assert.equal(await page.getByLabel("Model (openai)").count(), 0);

  step("a mask by keyboard: arrows move the brush, Space paints, Clear by keyboard");
  await page.getByLabel("Kind").selectOption("inpaint");
  const painter = page.getByRole("application", { name: "Mask painter over the start image" });
  await painter.waitFor();
  await page.waitForFunction(() => document.querySelector("#mask-paint")?.width === 512);
  assert.equal(await page.getByLabel("Aspect ratio").isHidden(), true, "inpaint keeps the start's size");
  await painter.focus();
  await page.keyboard.press("ArrowUp");
  await page.keyboard.down(" ");
  for (let i = 0; i < 4; i++) await page.keyboard.press("ArrowRight");
  await page.keyboard.up(" ");
  await page.locator("#mask-status", { hasText: /\d+ % of the image painted/ }).waitFor();
  await page.keyboard.press("e");
  assert.equal(await page.getByRole("button", { name: "Eraser" }).getAttribute("aria-pressed"), "true");
  await page.keyboard.press("b");
  assert.equal(await page.getByRole("button", { name: "Brush" }).getAttribute("aria-pressed"), "true");
  await page.getByRole("button", { name: "Clear mask" }).focus();
  await page.keyboard.press("Enter");
  await page.getByText("Mask cleared: nothing painted").waitFor();

  step("a mask by mouse: one stroke across the top of the picture");
  const box = await painter.boundingBox();
  assert.ok(box && box.width > 100, "the painter is on screen");
  await page.mouse.move(box.x + box.width * 0.05, box.y + box.height * 0.15);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++)
    await page.mouse.move(box.x + box.width * (0.05 + 0.075 * i), box.y + box.height * 0.15, { steps: 2 });
  await page.mouse.up();
  await page.locator("#mask-status", { hasText: /[1-9]\d* % of the image painted/ }).waitFor();
  const painted = await page.evaluate(() => {
    const canvas = document.querySelector("#mask-paint");
    const ctx = canvas.getContext("2d");
    const alpha = (y0, y1) => {
      const d = ctx.getImageData(0, y0, canvas.width, y1 - y0).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
      return n;
    };
    return { top: alpha(0, canvas.height / 3), bottom: alpha(canvas.height / 2, canvas.height) };
  });
  assert.ok(painted.top > 0, "the top is painted");
  assert.equal(painted.bottom, 0, "the bottom half is not");
  await page
    .getByRole("heading", { name: "Generate" })
    .locator("xpath=..")
    .screenshot({ path: join(SHOTS, "10-mask.png") });

  /** Generates with the form as it is: the job's id, its one card, and the card's size. */
  async function generate(kind) {
    const accepted = page.waitForResponse(
      (r) =>
        r.request().method() === "POST" && /^\/api\/projects\/[^/]+\/jobs$/.test(new URL(r.url()).pathname),
    );
    await page.getByRole("button", { name: "Generate" }).click();
    const res = await accepted;
    assert.equal(res.status(), 202, `${kind} accepted: ${await res.text()}`);
    const { jobId } = await res.json();
    try {
      await page
        .locator("#job-totals", { hasText: `Totals (${kind}): 1 image(s) · $0.000 est.` })
        .waitFor({ timeout: 90_000 });
    } catch (err) {
      await shot(page, `failed-${kind}`);
      const job = await call("GET", `/api/jobs/${jobId}`);
      const said = await page.locator("#job-status, #job-totals, .task").allTextContents();
      throw new Error(`${kind}: ${err.message}\npage: ${said.join(" | ")}\njob: ${JSON.stringify(job.json)}`);
    }
    const card = page.locator(".task");
    assert.equal(await card.count(), 1);
    assert.equal(await card.locator(".status").textContent(), "complete");
    await card.locator(".facts").waitFor();
    const [width, height] = ((await card.locator(".facts .size dd").textContent()) ?? "")
      .split("×")
      .map(Number);
    return { jobId, card, width, height };
  }

  step("inpaint with local: the mask is exported, uploaded and sent as maskUploadId");
  const maskSent = page.waitForResponse(
    (r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/api/uploads",
  );
  const inpaint = await generate("inpaint");
  const mask = await (await maskSent).json();
  assert.deepEqual(
    [mask.contentType, mask.width, mask.height],
    ["image/png", 512, 384],
    "the mask has the start's size",
  );
  assert.deepEqual([inpaint.width, inpaint.height], [512, 384]);
  const seedText = (await inpaint.card.locator(".facts .seed dd").textContent()) ?? "";
  assert.match(seedText, /^\d+$/, `the card shows the seed (${seedText})`);
  assert.equal(await inpaint.card.locator(".facts .cost dd").textContent(), "$0.000 est.");
  assert.match((await inpaint.card.locator(".facts .model dd").textContent()) ?? "", /^local/);
  assert.match((await inpaint.card.locator(".facts .latency dd").textContent()) ?? "", /^\d+(\.\d)? m?s$/);
  assert.equal(await inpaint.card.locator(".warnings li").count(), 0, "no warnings");
  assert.equal(await inpaint.card.locator(".warnings").isHidden(), true);
  await page.waitForFunction(() =>
    [...document.querySelectorAll(".task img")].every((i) => i.complete && i.naturalWidth > 0),
  );
  await shot(page, "11-inpaint");

  step("Same seed fills the seed field");
  await inpaint.card.getByRole("button", { name: "Same seed" }).click();
  assert.equal(await page.getByLabel("Seed", { exact: true }).inputValue(), seedText);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "seed");

  step("the inpaint job through the API: kind, task, the mask's effect on the pixels");
  const job = await call("GET", `/api/jobs/${inpaint.jobId}`);
  assert.equal(job.json.kind, "inpaint");
  assert.deepEqual(
    job.json.tasks.map((t) => t.status),
    ["complete"],
  );
  assert.equal(job.json.tasks[0].seed, Number(seedText));
  assert.deepEqual(job.json.tasks[0].warnings, []);
  assert.equal(
    (await call("GET", `/api/uploads/${mask.id}`)).status,
    404,
    "the mask upload is removed once the job copied it",
  );
  const result = await fetch(`${server.base}/images/${job.json.tasks[0].progressionId}?format=png`);
  const pixels = decode(new Uint8Array(await result.arrayBuffer()));
  const original = decode(START_PNG);
  assert.deepEqual([pixels.width, pixels.height], [512, 384]);
  const changed = (y0, y1) => {
    let n = 0;
    for (let y = y0; y < y1; y++)
      for (let x = 0; x < 512; x++)
        for (let c = 0; c < 3; c++)
          if (pixels.data[(y * 512 + x) * pixels.channels + c] !== original.data[(y * 512 + x) * 4 + c]) n++;
    return n;
  };
  assert.equal(changed(192, 384), 0, "the unpainted bottom half is kept exactly");
  assert.ok(changed(40, 80) > 0, "the painted band is repainted");

  step("outpaint to 16:9: the card's size is 16:9");
  await page.getByLabel("Kind").selectOption("outpaint");
  assert.equal(await page.locator("#mask-panel").isHidden(), true);
  await page.getByRole("group", { name: "Outpaint margins (px)" }).waitFor();
  await page.getByLabel("Aspect ratio").selectOption("16:9");
  const outpaint = await generate("outpaint");
  assert.equal(outpaint.height, 384, `outpaint keeps the height (${outpaint.width}×${outpaint.height})`);
  assert.ok(
    Math.abs(outpaint.width / outpaint.height - 16 / 9) < 0.01,
    `16:9-shaped: ${outpaint.width}×${outpaint.height}`,
  );
  await outpaint.card.screenshot({ path: join(SHOTS, "12-outpaint-card.png") });

  step("upscale ×2 of another picture from disk: the card's size doubled");
  await page.getByLabel("Image from disk").setInputFiles(SECOND_FILE);
  await startText.getByText(/^From disk: picasso-e2e-second-\d+\.png — 320×240 px/).waitFor();
  await page.getByLabel("Kind").selectOption("upscale");
  assert.equal(await page.getByLabel("Aspect ratio").isHidden(), true);
  assert.equal(await page.getByLabel("Negative prompt (what to keep out)").isHidden(), true);
  await page.getByLabel("Upscale factor").selectOption("2");
  const upscale = await generate("upscale");
  assert.deepEqual([upscale.width, upscale.height], [640, 480]);
  assert.equal((await call("GET", `/api/jobs/${upscale.jobId}`)).json.kind, "upscale");
  await shot(page, "13-upscale");

  step("delete the project (confirmed), its deletion followed until complete");
  await page.getByRole("button", { name: "Delete project" }).click();
  await dialog.getByText("Delete project “E2E lighthouses”?").waitFor();
  await page.screenshot({ path: join(SHOTS, "8-confirm-dialog.png") });
  await dialog.getByRole("button", { name: "Delete project" }).click();
  await page
    .getByText(/^Deleted “E2E lighthouses”: complete, \d+ row\(s\) and \d+ stored object\(s\) removed\.$/)
    .waitFor({
      timeout: 60_000,
    });
  assert.equal(await page.locator("#deletions progress").evaluate((el) => el.value), 1);
  assert.equal(await page.locator("#project-pick option", { hasText: "E2E lighthouses" }).count(), 0);
  assert.equal((await call("GET", `/api/projects/${projectId}`)).status, 404);
  await shot(page, "9-deleted");

  const secrets = [server.key, made.json.key, secret];
  const leaked = urls.filter((url) => secrets.some((key) => url.includes(encodeURIComponent(key))));
  assert.deepEqual(leaked, [], "no API key in any URL");
  assert.deepEqual(foreign, [], "nothing loads from another origin");
  assert.deepEqual(problems, [], "no console errors");
  // The server's terminal through the whole flow (an actor eviction included): nothing alarming.
  assert.deepEqual(alarmingLines(server.output()), [], "wrangler dev printed alarming lines");
  console.log(`e2e: ok (${images} gallery image(s), ${loaded} lookbook image(s); screenshots in ${SHOTS})`);
} finally {
  await browser.close();
  server.stop();
  rmSync(START_FILE, { force: true });
  rmSync(SECOND_FILE, { force: true });
}
