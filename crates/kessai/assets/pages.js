// Behaviour of kessai's own pages (admin console and storefront), bound by data attributes
// so that no page needs an inline script or event handler (the Content-Security-Policy
// runs only scripts carrying the response's nonce). Every page works without it, except
// that confirmations are not asked.
//
//   data-confirm="…"        on a button: confirm() before its click submits the form;
//                           on a form: confirm() before it is submitted.
//   data-check-all="name"   on a checkbox: ticks or clears every input[name=name].
//   data-select-on-click    on a field: selects its text when clicked.
//   data-auto-submit        on a form: submitted as soon as the page has loaded (the hand-off
//                           to a provider's page).
//   #method-list, #order-form           支払方法: rows dragged into a new order are saved.
//   #provider-settings, #provider-list  クレジット決済設定: only the settings that apply to
//                                       the current choices show; providers are ordered by
//                                       dragging.
(function () {
  "use strict";

  document.addEventListener("click", function (e) {
    var button = e.target.closest("button[data-confirm], input[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) { e.preventDefault(); }
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    // A submit button asked already (its click handler ran first).
    if (e.submitter && e.submitter.dataset.confirm !== undefined) { return; }
    if (form.dataset.confirm !== undefined && !window.confirm(form.dataset.confirm)) {
      e.preventDefault();
    }
  });
  document.querySelectorAll("input[data-check-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll('input[name="' + box.dataset.checkAll + '"]').forEach(function (c) {
        c.checked = box.checked;
      });
    });
  });
  document.querySelectorAll("[data-select-on-click]").forEach(function (field) {
    field.addEventListener("click", function () { field.select(); });
  });
  document.querySelectorAll("form[data-auto-submit]").forEach(function (form) { form.submit(); });

  // Rows of `body` reordered by dragging; `dropped` runs after a row moved.
  function draggable(body, dropped) {
    var dragged = null;
    body.addEventListener("dragstart", function (e) { dragged = e.target.closest("tr"); });
    body.addEventListener("dragover", function (e) { e.preventDefault(); });
    body.addEventListener("drop", function (e) {
      e.preventDefault();
      var target = e.target.closest("tr");
      // Only among the rows of one body, never onto the heading row.
      if (!dragged || !target || target === dragged || target.parentNode !== dragged.parentNode || target.rowIndex === 0) { return; }
      target.parentNode.insertBefore(dragged, dragged.rowIndex < target.rowIndex ? target.nextSibling : target);
      if (dropped) { dropped(); }
    });
  }

  var methods = document.querySelector("#method-list tbody");
  if (methods) {
    draggable(methods, function () { document.getElementById("order-form").submit(); });
  }
  var providers = document.getElementById("provider-list");
  if (providers) { draggable(providers, null); }

  // Without JavaScript every setting stays visible and the server ignores the ones that do
  // not apply.
  var settings = document.getElementById("provider-settings");
  if (settings) {
    var value = function (key) {
      var out = [];
      settings.querySelectorAll('[name="' + key + '"]').forEach(function (i) {
        if ((i.type !== "radio" && i.type !== "checkbox") || i.checked) { out.push(i.value); }
      });
      return out.join(",");
    };
    var holds = function (c) {
      if (c === true || c === false) { return c; }
      if (c.eq) { return value(c.eq[0]) === c.eq[1]; }
      if (c["in"]) { return c["in"][1].indexOf(value(c["in"][0])) >= 0; }
      if (c.all) { return c.all.every(holds); }
      if (c.any) { return c.any.some(holds); }
      return true;
    };
    var refresh = function () {
      settings.querySelectorAll("tr.setting").forEach(function (row) {
        row.hidden = !holds(JSON.parse(row.dataset.showWhen));
      });
    };
    settings.addEventListener("change", refresh);
    refresh();
  }
})();
