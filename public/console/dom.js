/** Tiny DOM helpers: elements built with textContent only, so no data is ever parsed as HTML. */

/** `el("li", { class: "x", dataset: { id } }, child, "text")` */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "text") node.textContent = String(value);
    else if (name.startsWith("on") && typeof value === "function")
      node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/** The element with this id (throws if the page lacks it: a bug, not a runtime condition). */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the page`);
  return node;
}

/** Sets a status line; `error` styles it as a failure. */
export function say(id, text, error = false) {
  const node = byId(id);
  node.textContent = text;
  node.classList.toggle("error", error);
}

/** After the focused element was removed (a deleted item's button), moves focus to `fallback`. */
export function focusIfLost(fallback) {
  const active = document.activeElement;
  if (!active || active === document.body || !active.isConnected) fallback.focus();
}

/** Epoch ms as a short local date and time; `empty` when there is none. */
export function when(ms, empty = "—") {
  if (ms === null || ms === undefined) return empty;
  return new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
