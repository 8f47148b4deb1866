/** USER_PREFERENCES access: one JSON document per owner (every key of an owner shares its defaults). */
import { type Preferences, PreferencesSchema } from "../schemas/preferences";

const key = (ownerId: string) => `prefs:owner:${ownerId}`;

export async function getPreferences(kv: KVNamespace, ownerId: string): Promise<Preferences> {
  const parsed = PreferencesSchema.safeParse(await kv.get(key(ownerId), "json"));
  return parsed.success ? parsed.data : {};
}

export async function putPreferences(kv: KVNamespace, ownerId: string, prefs: Preferences): Promise<void> {
  await kv.put(key(ownerId), JSON.stringify(prefs));
}

/** Forgets an owner's defaults. */
export async function deletePreferences(kv: KVNamespace, ownerId: string): Promise<void> {
  await kv.delete(key(ownerId));
}
