// A matching run's page: while the run is queued or running, ask the server for its
// progress every second (GET data-progress-url) and show stage, percentage and elapsed
// time. Everything comes from the run's row, so the page can be closed and opened again at
// any time. When the run ends, the page reloads once to show the result or the reason.
(function () {
  "use strict";
  var POLL_MS = 1000;

  function show(box, name, visible) {
    box.querySelectorAll("[data-show='" + name + "']").forEach(function (el) {
      el.hidden = !visible;
    });
  }

  function setText(box, name, value) {
    box.querySelectorAll("[data-field='" + name + "']").forEach(function (el) {
      el.textContent = value;
    });
  }

  function render(box, data) {
    setText(box, "status_label", data.status_label);
    setText(box, "stage_label", data.stage_label || "—");
    setText(box, "progress", String(data.progress));
    var bar = box.querySelector("progress");
    if (bar) { bar.value = data.progress; }
    if (data.elapsed !== null) { setText(box, "elapsed", String(data.elapsed)); }
    show(box, "started", data.elapsed !== null);
    setText(box, "error", data.error || "");
    setText(box, "detail", data.detail || "");
    show(box, "waiting_too_long", data.waiting_too_long);
    show(box, "error", data.status === "failed");
    show(box, "active", data.active);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("run-status");
    if (!box || box.dataset.active !== "true") { return; }
    var url = box.dataset.progressUrl;
    var elapsed = box.dataset.elapsed === "" ? null : parseInt(box.dataset.elapsed, 10);
    var running = false;
    var delay = POLL_MS;

    // Between two answers the elapsed time still moves, once a worker has started.
    var ticker = window.setInterval(function () {
      if (running && elapsed !== null) { elapsed += 1; setText(box, "elapsed", String(elapsed)); }
    }, 1000);

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (data) {
          delay = POLL_MS;
          running = data.status === "running";
          if (data.elapsed !== null) { elapsed = data.elapsed; }
          render(box, data);
          if (data.active) {
            window.setTimeout(poll, delay);
          } else {
            window.clearInterval(ticker);
            window.location.reload();
          }
        })
        .catch(function () {
          // The server may be restarting: try again, less often.
          delay = Math.min(delay * 2, 15000);
          window.setTimeout(poll, delay);
        });
    }
    window.setTimeout(poll, POLL_MS);
  });
})();
