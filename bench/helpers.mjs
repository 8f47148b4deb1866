// Shared benchmark steps against a running dev server: a project with judged images and its lookbook.

export async function api(server, path, init = {}) {
  const res = await fetch(`${server.base}${path}`, {
    ...init,
    headers: { "content-type": "application/json", "x-api-key": server.key, ...(init.headers ?? {}) },
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** A project with a finished `local` job of `variants` images, and a published lookbook of it. */
export async function publishedLookbook(server, variants = 4) {
  const project = await api(server, "/api/projects", {
    method: "POST",
    body: JSON.stringify({ name: "bench lookbook" }),
  });
  const job = await api(server, `/api/projects/${project.id}/jobs`, {
    method: "POST",
    body: JSON.stringify({
      prompt: `bench ${Date.now()}, teal and gold`,
      providers: ["local"],
      variants,
      sessionId: `bench-${Date.now()}`,
    }),
  });
  for (let i = 0; i < 240; i++) {
    const status = await api(server, `/api/jobs/${job.jobId}`);
    if (status.finishedAt) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const artifact = await api(server, `/api/projects/${project.id}/artifacts/lookbook`, {
    method: "POST",
    body: JSON.stringify({ title: "Bench lookbook", options: { includeFailed: true } }),
  });
  return { project, artifact };
}
