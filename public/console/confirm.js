/**
 * The one confirmation dialog (a modal <dialog>): focus starts on Cancel, Escape cancels, Tab
 * reaches the action button, Enter or Space presses it. Focus goes back to the button that opened
 * it (see focusIfLost in dom.js for when that button is then removed with its item).
 */
import { byId } from "./dom.js";

/**
 * Asks `message` under `title`; resolves true only when the person presses the `action` button.
 * Without <dialog> support it falls back to window.confirm.
 */
export function confirmAction({ title, message, action = "Delete" }) {
  const dialog = byId("confirm-dialog");
  const opener = document.activeElement;
  if (typeof dialog.showModal !== "function")
    return Promise.resolve(window.confirm(`${title}\n\n${message}`));
  byId("confirm-title").textContent = title;
  byId("confirm-message").textContent = message;
  byId("confirm-ok").textContent = action;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
        resolve(dialog.returnValue === "confirm");
      },
      { once: true },
    );
    dialog.showModal();
    byId("confirm-cancel").focus();
  });
}
