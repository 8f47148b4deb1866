// npm run test:e2e: the console in Debian Chromium (playwright-core) against a fresh
// `wrangler dev --local` on a free loopback port: key, project, a 2-variant `local` job watched to
// the end in the page, the gallery, a published lookbook opened with its images loaded, /docs
// rendered, and the console at 390 px without horizontal scroll. Nothing may load from another
// origin. Screenshots go to .wrangler/e2e/screenshots/.
import assert from "node:assert/strict";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
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

/** A page that records every request to another origin and every console error. */
async function openPage(viewport) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on("request", (req) => {
    const url = req.url();
    if (!url.startsWith(server.base) && !url.startsWith("data:") && !url.startsWith("blob:"))
      foreign.push(url);
  });
  page.on("console", (msg) => msg.type() === "error" && problems.push(`${msg.text()} ${msg.location().url}`));
  page.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
  page.on("pageerror", (err) => problems.push(err.message));
  return page;
}

const step = (name) => console.log(`e2e: ${name}`);
const shot = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

try {
  const page = await openPage({ width: 1280, height: 900 });
  await page.goto(`${server.base}/`);
  step("key");
  await page.getByLabel("API key").fill(server.key);
  await page.getByRole("button", { name: "Save key" }).click();

  step("project");
  await page.getByLabel("Project name").fill("E2E lighthouses");
  await page.getByRole("button", { name: "Create project" }).click();
  await page.getByText("Created “E2E lighthouses”.").waitFor();

  step("job: local, 2 variants");
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

  step("reconnect after a drop: the page catches up with ?since=");
  const sockets = [];
  page.on("websocket", (ws) => sockets.push(ws.url()));
  const sessionId = await page.evaluate(() => localStorage.getItem("picasso.sessionId"));
  const projectId = await page.locator("#project-pick").inputValue();
  const headers = { "content-type": "application/json", "x-api-key": server.key };
  const evicted = await fetch(`${server.base}/api/dev/sessions/${sessionId}/evict`, {
    method: "POST",
    headers,
    body: "{}",
  });
  assert.ok(evicted.ok, `evict answered ${evicted.status}`);
  const submitted = await fetch(`${server.base}/api/projects/${projectId}/jobs`, {
    method: "POST",
    headers,
    body: JSON.stringify({ prompt: "a red kite over dunes", providers: ["local"], variants: 1, sessionId }),
  });
  assert.equal(submitted.status, 202);
  await page.getByText(/Job finished: .* of 1\./).waitFor({ timeout: 90_000 });
  assert.ok(
    sockets.some((url) => /\?since=\d+/.test(url)),
    `reconnected with ?since= (${sockets.join(", ")})`,
  );

  step("gallery and lineage");
  await page.locator("#gallery li").first().waitFor();
  const images = await page.locator("#gallery li").count();
  assert.ok(images >= 1, "the gallery shows the new images");
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

  step("docs");
  const docs = await openPage({ width: 1280, height: 900 });
  await docs.goto(`${server.base}/docs`);
  await docs.getByText("Picasso backend API").first().waitFor({ timeout: 30_000 });
  await docs.locator(".opblock").first().waitFor();
  await shot(docs, "4-docs");

  step("phone width 390 px");
  const phone = await openPage({ width: 390, height: 844 });
  await phone.goto(`${server.base}/`);
  await phone.locator("#gallery li").first().waitFor();
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `horizontal scroll of ${overflow}px at 390 px`);
  await shot(phone, "5-phone");

  assert.deepEqual(foreign, [], "nothing loads from another origin");
  assert.deepEqual(problems, [], "no console errors");
  // The server's terminal through the whole flow (an actor eviction included): nothing alarming.
  assert.deepEqual(alarmingLines(server.output()), [], "wrangler dev printed alarming lines");
  console.log(`e2e: ok (${images} gallery image(s), ${loaded} lookbook image(s); screenshots in ${SHOTS})`);
} finally {
  await browser.close();
  server.stop();
}
