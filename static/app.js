// Chief Monitor dashboard: small progressive enhancements. The pages work without this file.
(function () {
  "use strict";

  // Show <time datetime> values in the viewer's locale and time zone (the server writes UTC).
  var fmt = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit"
  });
  function localTimes(root) {
    var nodes = (root || document).querySelectorAll("time[data-local]");
    for (var i = 0; i < nodes.length; i++) {
      var d = new Date(nodes[i].getAttribute("datetime"));
      if (!isNaN(d.getTime())) {
        nodes[i].title = nodes[i].textContent;
        nodes[i].textContent = fmt.format(d);
      }
    }
  }

  document.addEventListener("DOMContentLoaded", function () { localTimes(document); });
  document.addEventListener("htmx:afterSwap", function (e) { localTimes(e.target.parentNode || document); });

  // The server writes hx-trigger="every 10s [document.visibilityState === 'visible'], ...". Our
  // CSP forbids eval, so htmx cannot compile that filter (it would log an error and treat it as
  // true): drop it before htmx reads the attribute; the listener below enforces it instead.
  document.addEventListener("htmx:beforeProcessNode", function (e) {
    var elt = e.detail.elt;
    var v = elt && elt.getAttribute && elt.hasAttribute("data-poll") && elt.getAttribute("hx-trigger");
    if (v && v.indexOf("[") >= 0) {
      elt.setAttribute("hx-trigger", v.replace(/\s*\[[^\]]*\]/g, ""));
    }
  });

  // Polls run only while the tab is visible (htmx runs without eval under our CSP, so the
  // [document.visibilityState === 'visible'] filter in hx-trigger is enforced here), and never
  // while the user is working inside the region (a focused field or an opened <details>).
  document.addEventListener("htmx:beforeRequest", function (e) {
    var elt = e.detail.elt;
    if (!elt || !elt.hasAttribute("data-poll")) { return; }
    var trigger = e.detail.requestConfig && e.detail.requestConfig.triggeringEvent;
    if (trigger && trigger.type === "monitor-refresh") { return; }
    if (document.visibilityState !== "visible" ||
        elt.contains(document.activeElement) && document.activeElement !== document.body ||
        elt.querySelector("details[open]")) {
      e.preventDefault();
    }
  });

  // A refresh replaces the whole region, which would reset what the user did in it without
  // holding the focus: the horizontal scroll of a wide table (phones) and text typed into a
  // field (a half-written close reason). Keep both across the swap.
  var kept = {};
  function fieldKey(f) {
    var form = f.form;
    return (form ? form.getAttribute("action") || "" : "") + "|" + f.name;
  }
  document.addEventListener("htmx:beforeSwap", function (e) {
    var elt = e.detail.elt;
    if (!elt || !elt.id || !elt.hasAttribute("data-poll")) { return; }
    var state = { scroll: [], fields: {} };
    var wraps = elt.querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) { state.scroll.push(wraps[i].scrollLeft); }
    var fields = elt.querySelectorAll("input[type=text], input:not([type]), textarea");
    for (var j = 0; j < fields.length; j++) {
      if (fields[j].name && fields[j].value !== fields[j].defaultValue) { state.fields[fieldKey(fields[j])] = fields[j].value; }
    }
    kept[elt.id] = state;
  });
  document.addEventListener("htmx:afterSwap", function () {
    for (var id in kept) {
      var elt = document.getElementById(id);
      var state = kept[id];
      delete kept[id];
      if (!elt) { continue; }
      var wraps = elt.querySelectorAll(".table-wrap");
      for (var i = 0; i < wraps.length && i < state.scroll.length; i++) { wraps[i].scrollLeft = state.scroll[i]; }
      var fields = elt.querySelectorAll("input[type=text], input:not([type]), textarea");
      for (var j = 0; j < fields.length; j++) {
        var k = fieldKey(fields[j]);
        if (fields[j].name && Object.prototype.hasOwnProperty.call(state.fields, k)) { fields[j].value = state.fields[k]; }
      }
    }
  });

  function refreshAll() {
    var nodes = document.querySelectorAll("[data-poll]");
    for (var i = 0; i < nodes.length; i++) { htmx.trigger(nodes[i], "monitor-refresh"); }
  }

  // Refresh button: re-fetch the polled regions in place instead of reloading the page.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("[data-refresh]");
    if (!btn || !window.htmx || !document.querySelector("[data-poll]")) { return; }
    e.preventDefault();
    refreshAll();
  });

  // Coming back to the tab re-fetches at once, like the reference's refetch-on-focus.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && window.htmx) { refreshAll(); }
  });

  // Errors of htmx requests (polls, in-place closes, form posts) show in the layout's one
  // banner; a later successful request hides it again.
  document.addEventListener("htmx:responseError", function (e) {
    var box = document.getElementById("flash");
    var msg = document.getElementById("flash-message");
    if (!box || !msg) { return; }
    var xhr = e.detail.xhr;
    msg.textContent = (xhr && xhr.responseText ? xhr.responseText : "HTTP " + (xhr ? xhr.status : "error")).slice(0, 300);
    box.hidden = false;
  });
  document.addEventListener("htmx:sendError", function () {
    var box = document.getElementById("flash");
    var msg = document.getElementById("flash-message");
    if (box && msg) { msg.textContent = "The monitor could not be reached."; box.hidden = false; }
  });

  // Busy labels: a form's submit button shows its data-busy text while the request runs.
  document.addEventListener("submit", function (e) {
    var btn = e.target.querySelector("button[data-busy]");
    if (btn) {
      btn.setAttribute("data-label", btn.textContent);
      btn.textContent = btn.getAttribute("data-busy");
      btn.disabled = true;
    }
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var box = document.getElementById("flash");
    if (box && e.detail.successful) { box.hidden = true; }
    var btn = e.detail.elt && e.detail.elt.querySelector && e.detail.elt.querySelector("button[data-label]");
    if (btn) {
      btn.textContent = btn.getAttribute("data-label");
      btn.removeAttribute("data-label");
      btn.disabled = false;
    }
  });
})();
