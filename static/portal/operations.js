// Follows operations that are still running: polls their JSON status and reloads the page once one
// finishes, so the result (or Auth0's error) shows without the user refreshing.
(function () {
  "use strict";
  const pending = Array.from(document.querySelectorAll("[data-operation-poll]"));
  if (!pending.length) return;
  let delay = 1000;
  async function poll() {
    for (const el of pending) {
      try {
        const response = await fetch(el.dataset.operationPoll, { headers: { Accept: "application/json" } });
        if (!response.ok) continue;
        const op = await response.json();
        if (op.finished) {
          window.location.reload();
          return;
        }
        el.textContent = op.status_display + (op.last_error ? ": " + op.last_error : "");
      } catch (e) {
        // Network hiccup: try again on the next tick.
      }
    }
    delay = Math.min(delay * 1.5, 10000);
    window.setTimeout(poll, delay);
  }
  window.setTimeout(poll, delay);
})();
