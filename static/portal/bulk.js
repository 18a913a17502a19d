// A bulk job's page while its file is checked or its rows are sent: polls the job's progress every two
// seconds and updates the counts, the bar, the rate and the time left; once the job moves on (checked,
// finished, paused or resumed elsewhere) the page reloads onto what it shows next.
(function () {
  "use strict";
  const root = document.querySelector("[data-bulk-progress]");
  if (!root) return;
  const INTERVAL = 2000;

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return gettext("not known yet");
    const minutes = Math.round(seconds / 60);
    if (minutes < 1) return gettext("less than a minute");
    if (minutes < 90) return interpolate(ngettext("about %s minute", "about %s minutes", minutes), [minutes]);
    const hours = Math.round(minutes / 6) / 10;
    return interpolate(gettext("about %s hours"), [hours.toLocaleString(document.documentElement.lang)]);
  }

  function set(name, text) {
    root.querySelectorAll('[data-bulk-field="' + name + '"]').forEach(function (el) {
      if (el.textContent !== String(text)) el.textContent = String(text);
    });
  }

  function show(progress) {
    const finished = progress.rows_to_send - progress.rows_left;
    set("checked_rows", progress.checked_rows);
    set("finished", finished);
    set("percent", progress.percent);
    ["done", "failed", "skipped", "cancelled", "under_way", "status_label"].forEach(function (name) {
      set(name, progress[name]);
    });
    set("rate", progress.rows_per_minute === null ? gettext("not measured yet")
      : interpolate(ngettext("%s row a minute", "%s rows a minute", progress.rows_per_minute),
                    [progress.rows_per_minute.toLocaleString(document.documentElement.lang)]));
    set("time_left", duration(progress.seconds_left));
    const bars = { checked_rows: progress.checked_rows, finished: finished };
    root.querySelectorAll("[data-bulk-bar]").forEach(function (bar) {
      bar.value = bars[bar.dataset.bulkBar];
    });
  }

  async function poll() {
    try {
      const response = await fetch(root.dataset.bulkProgress, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const progress = await response.json();
        if (progress.status !== root.dataset.status || String(progress.finished) !== root.dataset.finished) {
          window.location.reload();
          return;
        }
        show(progress);
      } else if (response.status === 404) {
        window.location.reload();  // discarded meanwhile: the reload says so
        return;
      }
    } catch (e) {
      // Network hiccup: try again on the next tick.
    }
    window.setTimeout(poll, INTERVAL);
  }
  window.setTimeout(poll, INTERVAL);
})();
