// npm run test:e2e: the console in Debian Chromium (playwright-core) against a fresh
// `wrangler dev --local` on a free loopback port (its root key: server.key, the only API_KEYS):
// the key prompt first (the key is used as typed: no save step), project, a 2-variant `local` job
// watched to the end over a stream opened with a stream token (a fresh one after a drop, never the
// key in a URL), the gallery, a published lookbook opened with its images loaded, the Keys panel
// (create with the secret shown once and copied, revoke after a confirmation), a read-only key that
// sees no Generate / create / delete / Keys and whose revocation brings the prompt back, /docs, the
// console at 390 px without horizontal scroll, and Delete of an artifact, an image and a project
// (confirmed in the dialog; the project's deletion followed until complete). Nothing may load from
// another origin. Screenshots go to .wrangler/e2e/screenshots/.
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
  await page.locator("#gallery li").first().waitFor();
  const images = await page.locator("#gallery li").count();
  assert.ok(images >= 1, `the gallery shows the new images (${images})`);
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
}
