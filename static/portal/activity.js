// A user's page while a fetch of their Auth0 activity is under way: polls its status and reloads the
// page once the task has finished (or failed), so the events (or the reason) show without a refresh.
(function () {
  "use strict";
  const pending = document.querySelector("[data-activity-poll]");
  if (!pending) return;
  let delay = 1000;
  let tries = 0;
  async function poll() {
    try {
      const response = await fetch(pending.dataset.activityPoll, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const status = await response.json();
        if (!status.pending) {
          window.location.reload();
          return;
        }
      }
    } catch (e) {
      // Network hiccup: try again on the next tick.
    }
    tries += 1;
    if (tries > 40) {
      pending.textContent = gettext("Auth0 has not answered yet; reload the page later to see the newest activity.");
      return;
    }
    delay = Math.min(delay * 1.5, 10000);
    window.setTimeout(poll, delay);
  }
  window.setTimeout(poll, delay);
})();
