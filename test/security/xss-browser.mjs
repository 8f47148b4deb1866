// XSS in a real browser: hostile strings through every user field into every artifact type, each
// HTML page opened in headless Chromium with hooks that record script execution and dialogs.
// Goal: 0 executions, 0 dialogs, a CSP header on every HTML response. Against its own
// `wrangler dev --local` (production-like: ENVIRONMENT is not development) on 127.0.0.1.
// Usage: node test/security/xss-browser.mjs   (needs Debian chromium at /usr/bin/chromium)
import { chromium } from "playwright-core";
import { startDevServer } from "../../bench/dev-server.mjs";

/** Each payload, if it ever ran, would set window.__xss or open a dialog. */
const PAYLOADS = [
  "<script>window.__xss=1</script>",
  '"><img src=x onerror="window.__xss=2">',
  "'><svg onload=window.__xss=3>",
  "</title><script>window.__xss=4</script>",
  "javascript:window.__xss=5",
  '<iframe srcdoc="<script>parent.__xss=6</script>">',
  "<details open ontoggle=alert(7)>",
  "'; rm -rf /; ' $(touch /tmp/x) `id`",
];
const hostile = PAYLOADS.join(" ");

const server = await startDevServer({
  persist: ".wrangler/security-xss",
  vars: { ENVIRONMENT: "test", RATE_LIMIT_BURST: "1000" },
});
const headers = { "content-type": "application/json", "x-api-key": server.key };
const post = async (path, body) => {
  const res = await fetch(`${server.base}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
};
let browser;
const findings = [];
try {
  const project = (await post("/api/projects", { name: hostile.slice(0, 200), description: hostile })).body;
  const job = (
    await post(`/api/projects/${project.id}/jobs`, {
      prompt: hostile,
      providers: ["local"],
      variants: 2,
      sessionId: "xss-browser-01",
    })
  ).body;
  for (let i = 0; i < 240; i++) {
    const s = await (await fetch(`${server.base}/api/jobs/${job.jobId}`, { headers })).json();
    if (s.finishedAt) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const types = (await (await fetch(`${server.base}/api/artifacts/types`, { headers })).json()).types;
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  let pages = 0;
  let htmlResponses = 0;
  let withCsp = 0;
  for (const type of types) {
    const created = await post("/api/artifacts", {
      type: type.id,
      title: hostile.slice(0, 200),
      projectIds: [project.id],
    });
    if (created.status !== 201 || created.body.status !== "published") {
      findings.push(`${type.id}: not published (${created.status})`);
      continue;
    }
    const url = `${server.base}${new URL(created.body.publicUrl).pathname}`;
    // Documents (PDF, GIF, JSON, CSV, the script) are downloads, not pages: they must never be HTML.
    const contentType = (await fetch(url)).headers.get("content-type") ?? "";
    if (!contentType.startsWith("text/html")) {
      if (/html|svg|xml/.test(contentType)) findings.push(`${type.id}: served as ${contentType}`);
      continue;
    }
    const page = await browser.newPage();
    const dialogs = [];
    page.on("dialog", async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    page.on("response", (res) => {
      if ((res.headers()["content-type"] ?? "").startsWith("text/html")) {
        htmlResponses++;
        if (res.headers()["content-security-policy"]) withCsp++;
        else findings.push(`${type.id}: HTML without CSP at ${res.url()}`);
      }
    });
    await page.goto(url, { waitUntil: "load" });
    await page.evaluate(() => window.scrollTo(0, document.body?.scrollHeight ?? 0)).catch(() => undefined);
    await page.waitForTimeout(300);
    const ran = await page.evaluate(() => window.__xss ?? null).catch(() => null);
    if (ran !== null) findings.push(`${type.id}: payload ${ran} ran`);
    if (dialogs.length > 0) findings.push(`${type.id}: dialogs ${dialogs.join(", ")}`);
    pages++;
    await page.close();
  }
  console.log(
    `xss-browser: ${types.length} types, ${pages} pages opened, ${htmlResponses} HTML responses (${withCsp} with a CSP), ${findings.length} findings`,
  );
  for (const f of findings) console.log(`  ${f}`);
  process.exitCode = findings.length === 0 && pages > 0 ? 0 : 1;
} finally {
  await browser?.close();
  server.stop();
}
