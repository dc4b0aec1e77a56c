/* While an evidence pack is queued or being built, follow its progress from its status address;
   once every followed pack is ready or failed, reload the page so the list shows its hashes and
   its download. Without script, reloading the page by hand shows the same. */
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-pack-status]"));
  if (!rows.length || !window.fetch) { return; }
  var EVERY = 2000, AFTER_ERROR = 10000;

  function follow(row) {
    return fetch(row.dataset.packStatus, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      cache: "no-store"
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (status) {
      var bar = row.querySelector("progress");
      var percent = row.querySelector(".pack-percent");
      var state = row.querySelector(".pack-state");
      if (bar) { bar.value = status.progress; }
      if (percent) { percent.textContent = status.progress_text; }
      if (state) { state.textContent = status.state_text; }
      return status.pending;
    });
  }

  function poll() {
    Promise.all(rows.map(follow)).then(function (pending) {
      if (pending.indexOf(false) !== -1) {
        window.location.reload();
      } else {
        window.setTimeout(poll, EVERY);
      }
    }, function () {
      window.setTimeout(poll, AFTER_ERROR);  // the server restarting, say: try again later
    });
  }

  window.setTimeout(poll, EVERY);
})();
