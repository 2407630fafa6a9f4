// Follows a running close through the public API (the session cookie authenticates the
// GET; a read needs no CSRF token) and reloads the page once the run has finished, so the
// server renders its invoices.
(function () {
  'use strict';
  var box = document.getElementById('run');
  if (!box || box.getAttribute('data-finished') === 'yes') return;
  var id = box.getAttribute('data-run');
  var status = document.getElementById('run-status');
  var bar = document.getElementById('run-progress');
  var finished = { succeeded: true, partial: true, failed: true };
  function poll() {
    fetch('/v1/billing-runs/' + encodeURIComponent(id) + '?customers=false', { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (res) {
        if (res.status === 401) { window.location.assign('/console/sign-in?expired=1'); return null; }
        return res.ok ? res.json() : null;
      })
      .then(function (run) {
        if (!run) { window.setTimeout(poll, 2000); return; }
        var p = run.progress;
        bar.max = Math.max(p.customersTotal, 1);
        bar.value = p.customersDone;
        status.textContent = 'Status: ' + run.status + '. ' + p.customersDone + ' of ' + p.customersTotal + ' customers done.';
        if (finished[run.status]) window.location.reload();
        else window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 500);
})();
