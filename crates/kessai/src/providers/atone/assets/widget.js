// The atone page: configures atone's widget (atone.js) with the public key and the payment
// object the server signed, opens it, and posts what its callbacks answer back to the shop,
// which reads the transaction from atone before the order is made.
(function () {
  "use strict";
  var form = document.getElementById("atone-form");
  if (!form) { return; }
  var error = document.getElementById("atone-error");
  var button = document.getElementById("atone-pay");
  var show = function (message) { error.textContent = message; error.hidden = false; button.disabled = false; };
  var set = function (name, value) { form.elements[name].value = value === undefined || value === null ? "" : String(value); };
  var post = function (outcome) { set("outcome", outcome); form.submit(); };
  var firstError = function (errors) { return (errors && errors[0]) || {}; };
  if (typeof Atone === "undefined") { show("atoneを読み込めませんでした。時間をおいてもう一度お試しください。"); return; }
  Atone.config({
    pre_token: "",
    pub_key: form.dataset.publicKey,
    payment: JSON.parse(form.dataset.payment),
    authenticated: function (token) { set("authentication_token", token); },
    cancelled: function () { show("atoneでのお支払いが完了していません。お支払いを続ける場合は「atoneで支払う」を押してください。"); },
    succeeded: function (response) { set("transaction_id", response && response.id); post("succeeded"); },
    failed: function (response) {
      if (response && response.id) {
        set("transaction_id", response.id);
        set("ng_reason", response.authorization_result_ng_reason);
      } else {
        set("error_code", firstError(response && response.errors).code || (response && response.name));
        set("error_message", response && response.message);
      }
      post("failed");
    },
    error: function (name, message, errors) {
      set("error_code", firstError(errors).code || name);
      set("error_message", message);
      post("error");
    }
  });
  var open = function () { button.disabled = true; Atone.start(); };
  button.addEventListener("click", open);
  if (form.dataset.open === "yes") { open(); }
})();
