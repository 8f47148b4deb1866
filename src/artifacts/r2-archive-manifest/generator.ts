/**
 * r2-archive-manifest (csv): every R2 object of the projects — originals and start images under
 * `project/<id>/`, and the rendered content of the other artifacts linked to them — one row each
 * with its size, content type, SHA-256 of its bytes and upload time.
 */
import type { DocumentSpec } from "../documents";
import type { ProjectData } from "../project-data";
import { csvDocument } from "./csv";

export const MANIFEST_COLUMNS = ["key", "size", "contentType", "sha256", "createdAt"] as const;
/** Objects hashed at once: each is read whole, so this bounds memory as well as R2 concurrency. */
const CONCURRENCY = 4;

const hex = (bytes: ArrayBuffer) =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Every key under `prefix`, following the listing cursor. */
async function listKeys(bucket: R2Bucket, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor, limit: 1000 });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

/** The keys the manifest covers: the projects' prefixes plus linked artifacts other than `selfId`. */
export async function projectObjectKeys(
  bucket: R2Bucket,
  data: ProjectData,
  selfId: string,
): Promise<string[]> {
  const keys = new Set<string>();
  for (const project of data.projects) {
    for (const key of await listKeys(bucket, `project/${project.id}/`)) keys.add(key);
  }
  for (const artifact of data.artifacts) {
    // Its own content is being replaced by this very build: no stable hash to record.
    if (artifact.id !== selfId && artifact.contentR2Key) keys.add(artifact.contentR2Key);
  }
  return [...keys].sort();
}

type Row = [key: string, size: number, contentType: string, sha256: string, createdAt: string];

async function describe(bucket: R2Bucket, key: string): Promise<Row | null> {
  const object = await bucket.get(key);
  // Deleted between listing and reading (a duplicate's discarded original): not part of the archive.
  if (!object) return null;
  const bytes = await object.arrayBuffer();
  return [
    key,
    bytes.byteLength,
    object.httpMetadata?.contentType ?? "application/octet-stream",
    hex(await crypto.subtle.digest("SHA-256", bytes)),
    object.uploaded.toISOString(),
  ];
}

export async function manifestRows(bucket: R2Bucket, keys: string[]): Promise<Row[]> {
  const rows: (Row | null)[] = new Array(keys.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const index = next++;
      const key = keys[index];
      if (key !== undefined) rows[index] = await describe(bucket, key);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, keys.length) }, worker));
  return rows.filter((r): r is Row => r !== null);
}

export const r2ArchiveManifest: DocumentSpec = {
  id: "r2-archive-manifest",
  name: "R2 archive manifest",
  output: "csv",
  description:
    "CSV of every stored object of the projects (originals, start images, linked artifacts): key, size, content type, SHA-256 of the bytes and upload time (ISO 8601).",
  async build(input, data) {
    const keys = await projectObjectKeys(input.env.BUCKET, data, input.artifact.id);
    const rows = await manifestRows(input.env.BUCKET, keys);
    return {
      body: csvDocument([[...MANIFEST_COLUMNS], ...rows]),
      contentType: "text/csv; charset=utf-8; header=present",
    };
  },
};
