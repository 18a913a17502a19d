// Follows operations that are still running: polls their JSON status and reloads the page once one
// finishes, so the result (or Auth0's error) shows without the user refreshing. A page may follow
// hundreds (a selection's operations): each tick asks about a few of them in turn, never all at once.
(function () {
  "use strict";
  const pending = Array.from(document.querySelectorAll("[data-operation-poll]"));
  if (!pending.length) return;
  const PER_TICK = 5;
  let delay = 1000;
  let next = 0;
  async function poll() {
    const count = Math.min(PER_TICK, pending.length);
    for (let i = 0; i < count; i += 1) {
      const el = pending[(next + i) % pending.length];
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
    next = (next + count) % pending.length;
    delay = Math.min(delay * 1.5, 10000);
    window.setTimeout(poll, delay);
  }
  window.setTimeout(poll, delay);
})();
