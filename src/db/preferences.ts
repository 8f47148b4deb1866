/** USER_PREFERENCES access: one JSON document per user, keyed by a fingerprint of their API key. */
import { type Preferences, PreferencesSchema } from "../schemas/preferences";

const key = (fingerprint: string) => `prefs:${fingerprint}`;

export async function getPreferences(kv: KVNamespace, fingerprint: string): Promise<Preferences> {
  const parsed = PreferencesSchema.safeParse(await kv.get(key(fingerprint), "json"));
  return parsed.success ? parsed.data : {};
}

export async function putPreferences(
  kv: KVNamespace,
  fingerprint: string,
  prefs: Preferences,
): Promise<void> {
  await kv.put(key(fingerprint), JSON.stringify(prefs));
}
