/**
 * The Keys panel (admin keys): the owner's keys, Create key (name, scopes, optional expiry) with
 * the secret shown once and a Copy button, and Revoke after a confirmation.
 */
import { api, describe } from "./api.js";
import { confirmAction } from "./confirm.js";
import { byId, el, focusIfLost, say, when } from "./dom.js";

const SCOPES = ["read", "write", "admin"];
let caller = null;

function status(key, now) {
  if (key.revokedAt !== null) return { text: `revoked ${when(key.revokedAt)}`, state: "revoked" };
  if (key.expiresAt !== null && key.expiresAt <= now) return { text: "expired", state: "expired" };
  return { text: "active", state: "active" };
}

function row(key, now) {
  const state = status(key, now);
  const self = caller?.keyId === key.id;
  return el(
    "tr",
    { dataset: { state: state.state, id: key.id } },
    el("th", { scope: "row" }, key.name, self ? el("span", { class: "hint", text: " (this key)" }) : null),
    el(
      "td",
      {},
      el("span", { class: "chips" }, ...key.scopes.map((s) => el("span", { class: "chip", text: s }))),
    ),
    el("td", { text: when(key.createdAt) }),
    el("td", { text: when(key.lastUsedAt, "never") }),
    el("td", { text: when(key.expiresAt, "never") }),
    el("td", { class: `state ${state.state}`, text: state.text }),
    el(
      "td",
      {},
      state.state === "revoked"
        ? null
        : el("button", {
            type: "button",
            class: "danger",
            "aria-label": `Revoke ${key.name}`,
            onclick: () => revoke(key),
            text: "Revoke",
          }),
    ),
  );
}

/** Reloads the list of the owner's keys (GET /api/keys). */
export async function loadKeys() {
  const body = byId("keys-list");
  try {
    const { keys } = await api("GET", "/api/keys");
    const now = Date.now();
    body.replaceChildren(
      ...(keys.length
        ? keys.map((k) => row(k, now))
        : [el("tr", {}, el("td", { colspan: "7", class: "hint", text: "No keys yet: create one above." }))]),
    );
  } catch (err) {
    say("keys-status", describe(err), true);
  }
}

async function revoke(key) {
  const self = caller?.keyId === key.id;
  const sure = await confirmAction({
    title: `Revoke key “${key.name}”?`,
    message: self
      ? "This is the key this console is using: it is refused from the next request on and the console will ask for another key. This cannot be undone."
      : "Anything using it is refused from the next request on. This cannot be undone.",
    action: "Revoke key",
  });
  if (!sure) return say("keys-status", "Nothing was revoked.");
  try {
    const revoked = await api("DELETE", `/api/keys/${key.id}`);
    say("keys-status", `Revoked “${revoked.name}” (${when(revoked.revokedAt)}).`);
    await loadKeys();
    focusIfLost(byId("h-keys"));
  } catch (err) {
    say("keys-status", describe(err), true);
  }
}

function hideSecret() {
  byId("new-secret").hidden = true;
  byId("new-secret-value").value = "";
  say("copy-status", "");
}

async function copySecret() {
  const field = byId("new-secret-value");
  try {
    if (!navigator.clipboard?.writeText) throw new Error("no clipboard");
    await navigator.clipboard.writeText(field.value);
    say("copy-status", "Copied to the clipboard.");
  } catch {
    // No clipboard API here (or it was refused): select it for Ctrl+C / ⌘C instead.
    field.focus();
    field.select();
    say("copy-status", "Selected: press Ctrl+C (⌘C on a Mac) to copy it.");
  }
}

async function create(event) {
  event.preventDefault();
  const formNode = event.currentTarget;
  const form = new FormData(formNode);
  const body = { name: String(form.get("name") ?? "").trim(), scopes: form.getAll("scopes").map(String) };
  if (body.scopes.length === 0) return say("keys-status", "Tick at least one scope.", true);
  const expires = String(form.get("expiresAt") ?? "");
  if (expires) {
    const at = new Date(expires).getTime();
    if (!Number.isFinite(at) || at <= Date.now())
      return say("keys-status", "The expiry must be in the future.", true);
    body.expiresAt = at;
  }
  say("keys-status", "Creating the key…");
  try {
    const created = await api("POST", "/api/keys", body);
    byId("h-new-secret").textContent = `New key “${created.name}” (${created.scopes.join(", ")})`;
    byId("new-secret-value").value = created.key;
    say("copy-status", "");
    byId("new-secret").hidden = false;
    byId("new-secret").focus();
    say("keys-status", `Created “${created.name}”.`);
    formNode.reset();
    await loadKeys();
  } catch (err) {
    say("keys-status", describe(err), true);
  }
}

/** Wires the panel once. */
export function initKeys() {
  byId("key-create-form").addEventListener("submit", create);
  byId("copy-secret").addEventListener("click", copySecret);
  byId("secret-done").addEventListener("click", () => {
    hideSecret();
    byId("new-key-name").focus();
  });
}

/**
 * For a new caller (GET /api/keys/self): a key can give only the scopes it has (root keys: all),
 * so the others are disabled; forgets a secret shown to the previous key.
 */
export function setKeysCaller(next) {
  if (caller?.keyId !== next?.keyId) {
    hideSecret();
    say("keys-status", "");
    byId("keys-list").replaceChildren();
  }
  caller = next;
  const has = new Set(next?.scopes ?? []);
  for (const scope of SCOPES) {
    const box = byId(`new-key-${scope}`);
    const allowed = scope === "read" ? has.size > 0 : has.has(scope);
    box.disabled = !allowed;
    if (!allowed) box.checked = false;
  }
  byId("keys-intro").textContent =
    `The keys of owner ${next?.ownerId ?? "—"}. A key can give only the scopes it has; root keys (the server's API_KEYS) are not listed here.`;
}
