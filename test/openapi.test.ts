/**
 * The OpenAPI document against the app itself: every registered route is documented and every
 * documented path is served (both ways), every operation has an operationId and a security
 * statement, and the stream, webhooks and servers are described. `npm run lint:openapi` runs
 * Redocly's recommended rules on the same document.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { call, expectError } from "./helpers";

interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  responses?: Record<string, unknown>;
}
interface Document {
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  webhooks?: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];
/** Served by the app but not operations of the API: the document itself and its rendering. */
const NOT_OPERATIONS = new Set(["GET /openapi.json", "GET /docs"]);

/** Hono patterns → OpenAPI paths: `:id` → `{id}`, `:kind{a|b}` → one path per alternative. */
function expand(path: string): string[] {
  const choice = path.match(/:(\w+)\{([\w|]+)\}/);
  if (choice?.[2]) {
    const [pattern, , alternatives] = choice;
    return alternatives.split("|").flatMap((alt) => expand(path.replace(pattern, alt)));
  }
  const normal = path.replace(/:(\w+)/g, "{$1}");
  return [normal.length > 1 ? normal.replace(/\/$/, "") : normal];
}

function appOperations(): Set<string> {
  const seen = new Set<string>();
  for (const route of createApp().routes) {
    if (route.path.includes("*")) continue; // middleware (app.use)
    for (const path of expand(route.path)) seen.add(`${route.method} ${path}`);
  }
  return seen;
}

async function loadDocument(): Promise<Document> {
  const res = await call("/openapi.json", { key: null });
  expect(res.status).toBe(200);
  return (await res.json()) as Document;
}

function documentedOperations(doc: Document): Map<string, Operation> {
  const ops = new Map<string, Operation>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) ops.set(`${method.toUpperCase()} ${path}`, op);
    }
  }
  return ops;
}

describe("the OpenAPI document and the app's routes", () => {
  it("documents every route the app serves", async () => {
    const documented = documentedOperations(await loadDocument());
    const paths = new Set([...documented.keys()].map((key) => key.slice(key.indexOf(" ") + 1)));
    const missing = [...appOperations()].filter((op) => {
      if (NOT_OPERATIONS.has(op)) return false;
      const [method = "", path = ""] = op.split(" ");
      return method === "ALL" ? !paths.has(path) : !documented.has(op);
    });
    expect(missing).toEqual([]);
  });

  it("serves every documented operation", async () => {
    const served = appOperations();
    const undocumented = [...documentedOperations(await loadDocument()).keys()].filter((op) => {
      const path = op.slice(op.indexOf(" ") + 1);
      return !served.has(op) && !served.has(`ALL ${path}`);
    });
    expect(undocumented).toEqual([]);
  });

  it("gives every operation a unique operationId and a security statement", async () => {
    const doc = await loadDocument();
    const ops = [...documentedOperations(doc).entries()];
    for (const hooks of Object.values(doc.webhooks ?? {})) {
      for (const [method, op] of Object.entries(hooks)) ops.push([`webhook ${method}`, op]);
    }
    const ids = ops.map(([, op]) => op.operationId);
    expect(ops.filter(([, op]) => !op.operationId).map(([key]) => key)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ops.filter(([, op]) => !Array.isArray(op.security)).map(([key]) => key)).toEqual([]);
    // Every /api operation names the one scope it needs; open routes say so with [].
    expect(doc.paths["/api/projects"]?.get?.security).toEqual([{ ApiKey: ["read"] }]);
    expect(doc.paths["/api/projects"]?.post?.security).toEqual([{ ApiKey: ["write"] }]);
    expect(doc.paths["/api/keys"]?.post?.security).toEqual([{ ApiKey: ["admin"] }]);
    expect(doc.paths["/api/knowledge/{key}"]?.put?.security).toEqual([{ ApiKey: ["root"] }]);
    expect(doc.paths["/health"]?.get?.security).toEqual([]);
    for (const [key, op] of ops) {
      if (!key.includes(" /api/")) continue;
      const scopes = (op.security ?? []).flatMap((s) => Object.values(s).flat());
      expect(scopes.length, key).toBe(1);
      expect(["read", "write", "admin", "root"], key).toContain(scopes[0]);
      expect(op.responses?.["401"], key).toBeDefined();
      expect(op.responses?.["403"], key).toBeDefined();
    }
    expect(doc.paths["/public/lookbook/{slug}"]?.get?.operationId).toBe("getPublicLookbook");
  });

  it("describes the server, the stream's events and the webhooks", async () => {
    const doc = await loadDocument();
    expect(doc.servers).toEqual([{ url: "http://picasso.test", description: "This deployment" }]);
    for (const type of ["Queued", "Running", "Progress", "Judge", "Fail", "Complete"]) {
      expect(doc.components.schemas[`StreamEvent${type}`]).toBeDefined();
    }
    expect(doc.components.schemas.StreamEnvelope).toBeDefined();
    expect(Object.keys(doc.webhooks ?? {})).toEqual(["jobEnded", "taskEnded"]);
    expect(doc.components.schemas.JobWebhook).toBeDefined();
    expect(doc.components.schemas.TaskWebhook).toBeDefined();
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["ApiKey", "Bearer"]);
  });
});

describe("GET /docs", () => {
  it("serves the reference from this origin only", async () => {
    const res = await call("/docs", { key: null });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("/docs/swagger-ui-bundle.js");
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const bundle = await call("/docs/swagger-ui-bundle.js", { key: null });
    expect(bundle.status).toBe(200);
    await bundle.arrayBuffer();
  });
});

describe("number limits", () => {
  it.each([
    [9, "variants must be at most 8"],
    [0, "variants must be at least 1"],
    [1e20, "variants must be a whole number from 1 to 8"],
    [1.5, "variants must be a whole number from 1 to 8"],
  ])("say the real limit (variants %s)", async (variants, message) => {
    const project = await call("/api/projects", { method: "POST", body: { name: "limits" } });
    const { id } = (await project.json()) as { id: string };
    const res = await call(`/api/projects/${id}/jobs`, {
      method: "POST",
      body: { prompt: "x", providers: ["local"], variants, sessionId: "limits-session" },
    });
    const body = await expectError(res, 400, "invalid_request");
    expect(body.error.message).toContain(message);
    expect(body.error.message).not.toContain("9007199254740991");
  });

  it("documents the same bounds", async () => {
    const doc = (await (await call("/openapi.json", { key: null })).json()) as {
      components: {
        schemas: { CreateJob: { properties: { variants: { minimum: number; maximum: number } } } };
      };
    };
    expect(doc.components.schemas.CreateJob.properties.variants).toMatchObject({ minimum: 1, maximum: 8 });
  });
});
