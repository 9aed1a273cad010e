// The Paidy page: opens Paidy Checkout with the public key and the payload the server
// prepared, and posts Paidy's answer (its payment id and status) back to the shop, which
// checks it with Paygent before creating the order.
(function () {
  "use strict";
  var form = document.getElementById("paidy-form");
  if (!form) { return; }
  var error = document.getElementById("paidy-error");
  var button = document.getElementById("paidy-pay");
  var show = function (message) { error.textContent = message; error.hidden = false; button.disabled = false; };
  if (typeof Paidy === "undefined") { show("Paidyを読み込めませんでした。時間をおいてもう一度お試しください。"); return; }
  var handler = Paidy.configure({
    api_key: form.dataset.publicKey,
    closed: function (data) {
      if (!data || data.status === "closed") { show("Paidyでのお支払いが完了していません。もう一度お試しください。"); return; }
      document.getElementById("paidy_payment_id").value = data.id || "";
      document.getElementById("paidy_status").value = data.status || "";
      form.submit();
    }
  });
  button.addEventListener("click", function () {
    button.disabled = true;
    handler.launch(JSON.parse(form.dataset.payload));
  });
})();
