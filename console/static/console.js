// Progressive enhancement for the Storelink console: every page also works without it.
(function () {
  "use strict";

  var POLL_MS = 1000;
  var RETRY_MS = 3000;

  function changed(field) {
    if (field.tagName === "SELECT") {
      return Array.prototype.some.call(field.options, function (option) { return option.selected !== option.defaultSelected; });
    }
    return field.value !== field.defaultValue;
  }

  // Save needs a verification of the values on screen: editing one disables it again.
  // (The server refuses such a save anyway; this only says so before the click.)
  function gateSave(form) {
    var save = form.querySelector("[data-save]");
    var hint = form.querySelector("[data-reverify-hint]");
    var fields = form.querySelectorAll("[data-verified-field]");
    var verified = form.hasAttribute("data-verified");
    if (!save) { return; }
    function update() {
      var edited = Array.prototype.some.call(fields, changed);
      save.disabled = !verified || edited;
      if (hint) { hint.hidden = !(verified && edited); }
    }
    Array.prototype.forEach.call(fields, function (field) {
      field.addEventListener("input", update);
      field.addEventListener("change", update);
    });
    update();
  }

  // Choosing another system shows its own help for the fields it fills differently.
  function followSystem(form) {
    var select = form.querySelector("#external_system");
    var data = document.getElementById("field-help");
    if (!select || !data) { return; }
    var help = JSON.parse(data.textContent);
    select.addEventListener("change", function () {
      var fields = help[select.value];
      if (!fields) { return; }
      Object.keys(fields).forEach(function (name) {
        var label = form.querySelector('label[for="' + name + '"]');
        var hint = document.getElementById(name + "-hint");
        var input = document.getElementById(name);
        if (label) { label.textContent = fields[name].label; }
        if (hint) { hint.textContent = fields[name].hint; }
        if (input) { input.setAttribute("placeholder", fields[name].placeholder); }
      });
    });
  }

  // The same words as the server's run_summary filter.
  function summary(run) {
    if (run.status === "queued") { return "Queued: waiting for a worker"; }
    if (run.status === "failed") { return "Failed: " + (run.error || "no reason recorded"); }
    if (run.status === "succeeded") {
      return "Done: " + run.pages_done + " pages, " + (run.records ? run.records + " records stored" : "nothing new") +
        (run.deleted ? ", " + run.deleted + " marked deleted" : "");
    }
    if (run.error) { return "Running, " + run.error; }
    if (!run.pages_total) { return "Running: asking the store"; }
    return "Running: page " + run.pages_done + " of " + run.pages_total + ", " + run.records + " records stored";
  }

  function percent(run) {
    if (run.status === "succeeded") { return 100; }
    if (!run.pages_total) { return null; }
    return Math.min(99, Math.floor(100 * run.pages_done / run.pages_total));
  }

  var BADGES = { succeeded: "badge-ok", failed: "badge-bad" };

  function setText(element, words) {
    if (element && element.textContent !== words) { element.textContent = words; }
  }

  // The run's row among the recent runs follows too, so the page never contradicts itself.
  function updateRow(run) {
    var row = document.querySelector('tr[data-run-id="' + run.run_id + '"]');
    if (!row) { return; }
    var badge = row.querySelector("[data-run-status]");
    if (badge) {
      badge.className = "badge " + (BADGES[run.status] || "badge-muted");
      setText(badge, run.status);
    }
    setText(row.querySelector("[data-run-summary]"), summary(run));
    // A moment the page did not know yet has only just happened.
    [["[data-run-started]", run.started_at], ["[data-run-finished]", run.finished_at]].forEach(function (pair) {
      var cell = row.querySelector(pair[0]);
      if (cell && pair[1] && !cell.querySelector("time")) { setText(cell, "just now"); }
    });
  }

  // A running sync's progress bar follows the run until it ends.
  function watch(block) {
    var url = block.getAttribute("data-run-url");
    var bar = block.querySelector("progress");
    var label = block.querySelector("[data-percent]");
    var text = block.querySelector("[data-run-text]");
    var failed = block.querySelector("[data-run-failed]");

    function show(run) {
      var value = percent(run);
      if (value === null) { bar.removeAttribute("value"); } else { bar.value = value; }
      bar.textContent = value === null ? "" : value + "%";
      label.textContent = value === null ? "" : value + "%";
      setText(text, summary(run));
      block.setAttribute("data-status", run.status);
      updateRow(run);
      if (run.status === "succeeded" || run.status === "failed") {
        if (failed) { failed.hidden = run.status !== "failed"; }
        return;
      }
      window.setTimeout(poll, POLL_MS);
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (response.status === 401 || response.status === 404) { return null; }  // signed out, or gone
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json().then(show);
        })
        .catch(function () { window.setTimeout(poll, RETRY_MS); });
    }

    window.setTimeout(poll, POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-verify-form]"), gateSave);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-verify-form]"), followSystem);
    Array.prototype.forEach.call(document.querySelectorAll("[data-run-url]"), watch);
  });
})();
