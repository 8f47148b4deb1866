/** R2 tools: originals are written under deterministic keys and read back as bytes. */

export async function putOriginal(
  bucket: R2Bucket,
  key: string,
  bytes: Uint8Array,
  contentType: string,
): Promise<void> {
  await bucket.put(key, bytes, { httpMetadata: { contentType } });
}

export async function readOriginal(
  bucket: R2Bucket,
  key: string,
): Promise<{ bytes: Uint8Array; contentType: string } | null> {
  const object = await bucket.get(key);
  if (!object) return null;
  return {
    bytes: new Uint8Array(await object.arrayBuffer()),
    contentType: object.httpMetadata?.contentType ?? "application/octet-stream",
  };
}

export async function deleteOriginal(bucket: R2Bucket, key: string): Promise<void> {
  await bucket.delete(key);
}
