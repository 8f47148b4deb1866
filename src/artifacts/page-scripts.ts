/**
 * The only scripts a public page may run: fixed text shipped with the code, allowed by the page's
 * CSP through their SHA-256 hashes (csp.ts). None contains a user value: they read what they need
 * from the DOM (data-* attributes the generator escaped) and the page's own URL, and write only
 * through `textContent`. A script in a user's template is never among them, so it never runs.
 */

/** Keyboard navigation of a slideshow: arrows, Page Up/Down, space, Home/End; `f` for full screen. */
export const SLIDESHOW_SCRIPT = `(function () {
  var deck = document.querySelector("[data-deck]");
  var slides = deck ? deck.querySelectorAll("[data-slide]") : [];
  if (!deck || slides.length === 0) return;
  var root = document.documentElement;
  function index() { return Math.round(deck.scrollLeft / Math.max(1, deck.clientWidth)); }
  function go(i) {
    var n = Math.max(0, Math.min(slides.length - 1, i));
    slides[n].scrollIntoView({ behavior: "smooth", block: "nearest", inline: "start" });
    history.replaceState(null, "", "#" + slides[n].id);
  }
  function fullscreen() { if (root.requestFullscreen && !document.fullscreenElement) root.requestFullscreen(); }
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var i = index();
    if (e.key === "ArrowRight" || e.key === "ArrowDown" || e.key === "PageDown" || e.key === " ") go(i + 1);
    else if (e.key === "ArrowLeft" || e.key === "ArrowUp" || e.key === "PageUp") go(i - 1);
    else if (e.key === "Home") go(0);
    else if (e.key === "End") go(slides.length - 1);
    else if (e.key === "f") fullscreen();
    else return;
    e.preventDefault();
  });
  var button = document.querySelector("[data-fullscreen]");
  if (button && root.requestFullscreen) {
    button.hidden = false;
    button.addEventListener("click", fullscreen);
  }
  deck.focus();
})();`;

/** The slug of the page being viewed, from its own URL (both public paths end in it). */
const SLUG = `var slug = location.pathname.split("/").filter(Boolean).pop() || "";`;
/** Shows the error envelope's message, or a fallback, as text. */
const SAY = `function say(el, body, fallback) {
    if (!el) return;
    el.textContent = body && body.error && typeof body.error.message === "string" ? body.error.message : fallback;
  }`;

/** Voting: a button per image posts `{ progressionId }`; the page reloads to show the new counts. */
export const VOTE_SCRIPT = `(function () {
  ${SLUG}
  var status = document.querySelector("[data-vote-status]");
  ${SAY}
  var buttons = document.querySelectorAll("[data-vote]");
  for (var i = 0; i < buttons.length; i++) buttons[i].hidden = false;
  document.addEventListener("click", function (e) {
    var button = e.target instanceof Element ? e.target.closest("[data-vote]") : null;
    if (!button || button.disabled) return;
    button.disabled = true;
    fetch("/public/artifact/" + encodeURIComponent(slug) + "/votes", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ progressionId: button.getAttribute("data-vote") })
    }).then(function (res) {
      return res.json().then(function (body) {
        if (res.status === 201) return location.reload();
        if (res.status === 200) return say(status, null, "You have already voted in this deck.");
        say(status, body, "The vote was not counted.");
        button.disabled = false;
      });
    }).catch(function () {
      say(status, null, "The vote could not be sent.");
      button.disabled = false;
    });
  });
})();`;

/** Commenting: click an image to pin the comment there, then post it; the page reloads to show it. */
export const COMMENT_SCRIPT = `(function () {
  var form = document.querySelector("[data-comment-form]");
  if (!form) return;
  ${SLUG}
  var status = form.querySelector("[data-comment-status]");
  var pinned = form.querySelector("[data-pinned]");
  var select = form.querySelector("select[name=progressionId]");
  var pin = null;
  ${SAY}
  var images = document.querySelectorAll("[data-board-image]");
  for (var i = 0; i < images.length; i++) {
    images[i].addEventListener("click", function (e) {
      var img = e.currentTarget;
      var box = img.getBoundingClientRect();
      var clamp = function (v) { return Math.min(1, Math.max(0, Math.round(v * 1000) / 1000)); };
      pin = { id: img.getAttribute("data-board-image"), x: clamp((e.clientX - box.left) / box.width), y: clamp((e.clientY - box.top) / box.height) };
      if (select) select.value = pin.id;
      if (pinned) pinned.textContent = "Pinned at " + Math.round(pin.x * 100) + "% across, " + Math.round(pin.y * 100) + "% down on " + (img.getAttribute("data-label") || "the image") + ".";
      form.querySelector("textarea").focus();
    });
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var data = new FormData(form);
    var body = { text: String(data.get("text") || "") };
    var author = String(data.get("author") || "").trim();
    if (author) body.author = author;
    var image = String(data.get("progressionId") || "");
    if (image) body.progressionId = image;
    if (pin && pin.id === image) { body.x = pin.x; body.y = pin.y; }
    fetch("/public/artifact/" + encodeURIComponent(slug) + "/comments", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().then(function (reply) {
        if (res.status === 201) return location.reload();
        say(status, reply, "The comment was not saved.");
      });
    }).catch(function () { say(status, null, "The comment could not be sent."); });
  });
  form.hidden = false;
})();`;

/** Every script a page may run. */
export const TRUSTED_SCRIPTS: readonly string[] = [SLIDESHOW_SCRIPT, VOTE_SCRIPT, COMMENT_SCRIPT];

/** The `<script>` element for one of the trusted scripts. */
export const scriptTag = (script: string): { html: string } => ({ html: `<script>${script}</script>` });
