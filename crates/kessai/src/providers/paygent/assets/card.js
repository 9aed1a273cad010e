// The module-type card form: turns the card into Paygent tokens in the browser (the card
// number never reaches the shop's server), then submits the form with the token receipts.
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form) { return; }
  var error = document.getElementById("card-error");
  var button = form.querySelector("button[type=submit]");
  var value = function (id) { var e = document.getElementById(id); return e ? e.value.replace(/\s+/g, "") : ""; };
  var usingStored = function () {
    var checked = form.querySelector("input[name=stored_card_id]:checked");
    return checked && checked.value !== "";
  };
  // The new-card fields (and 「このカードを登録…」) only matter when no stored card is chosen.
  var newCard = document.getElementById("new-card");
  var registerBox = document.getElementById("register_card");
  var toggleNewCard = function () {
    var hide = !!usingStored();
    if (newCard) { newCard.hidden = hide; }
    if (registerBox) { registerBox.closest("div").hidden = hide; }
  };
  form.querySelectorAll("input[name=stored_card_id]").forEach(function (radio) {
    radio.addEventListener("change", toggleNewCard);
  });
  toggleNewCard();
  var show = function (message) { error.textContent = message; error.hidden = false; button.disabled = false; };
  var receipt = function (response) {
    var t = response.tokenizedCardObject || {};
    return JSON.stringify({ token: t.token || "", masked_card_number: t.masked_card_number || "",
      valid_until: t.valid_until || "", fingerprint: t.fingerprint || "", hc: response.hc || "" });
  };
  var token = new PaygentToken();
  var merchant = form.dataset.merchantId, key = form.dataset.tokenKey;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    var card = { card_number: value("card_number"), expire_year: value("expire_year"),
      expire_month: value("expire_month"), cvc: value("cvc") || undefined, name: document.getElementById("card_name").value.trim() };
    var submit = function () { form.submit(); };
    if (usingStored()) {
      if (!value("cvc")) { submit(); return; }
      token.createCvcToken(merchant, key, { cvc: value("cvc") }, function (r) {
        if (r.result !== "0000") { show("セキュリティコードを確認してください(" + r.result + ")"); return; }
        document.getElementById("card_json").value = receipt(r);
        submit();
      });
      return;
    }
    if (!card.expire_month || !card.expire_year) { show("有効期限を選択してください。"); return; }
    token.createToken(merchant, key, card, function (r) {
      if (r.result !== "0000") { show("カード情報を確認してください(" + r.result + ")"); return; }
      document.getElementById("card_json").value = receipt(r);
      var register = document.getElementById("register_card");
      if (!register || !register.checked) { submit(); return; }
      token.createToken(merchant, key, card, function (r2) {
        if (r2.result === "0000") { document.getElementById("register_json").value = receipt(r2); }
        submit();
      });
    });
  });
})();
