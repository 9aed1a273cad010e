// Kuroneko Web Collect's card dialog: the card goes from the browser to Yamato's token JS
// (WebcollectTokenLib.createToken) and only the token is posted to the shop. 支払回数 is
// offered once a card number is entered (the counts a card allows depend on it); a member
// pays with a kept card by its key, or keeps a new one (optServDiv 01).
(function () {
  "use strict";
  var form = document.getElementById("card-form");
  if (!form) { return; }
  var data = form.dataset;
  var error = document.getElementById("card-error");
  var button = document.getElementById("pay");
  var value = function (id) { var e = document.getElementById(id); return e ? e.value.replace(/\s+/g, "") : ""; };
  var keptChoice = function () { return form.querySelector("input[name=kept_card]:checked"); };
  var usingKept = function () { var c = keptChoice(); return !!(c && c.value); };
  var newCard = document.getElementById("new-card");
  var registerChoice = document.getElementById("register-choice");
  var payWay = document.getElementById("pay-way");
  var cardNumber = document.getElementById("card_number");
  var showPayWay = function () {
    if (!payWay || !payWay.hasAttribute("data-after-number")) { return; }
    payWay.hidden = !(usingKept() || value("card_number").length >= 14);
  };
  var toggle = function () {
    var kept = usingKept();
    if (newCard) { newCard.hidden = kept; }
    if (registerChoice) { registerChoice.hidden = kept; }
    showPayWay();
  };
  form.querySelectorAll("input[name=kept_card]").forEach(function (r) { r.addEventListener("change", toggle); });
  if (cardNumber) { cardNumber.addEventListener("input", showPayWay); }
  toggle();
  var show = function (message) { error.textContent = message; error.hidden = false; button.disabled = false; };
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    var kept = usingKept();
    var register = !kept && (data.register === "always" ||
      (data.register === "ask" && document.getElementById("register_card").checked));
    var asMember = kept || register;
    var info = { traderCode: data.traderCode, authDiv: data.authDiv, optServDiv: asMember ? "01" : "00",
      checkSum: asMember ? data.memberCheckSum : data.checkSum };
    if (asMember) { info.memberId = data.memberId; info.authKey = data.authKey; }
    if (kept) {
      info.cardKey = keptChoice().value;
      info.lastCreditDate = keptChoice().dataset.lastCreditDate;
    } else {
      if (!value("expire_month") || !value("expire_year")) { show("有効期限を選択してください。"); return; }
      info.cardNo = value("card_number");
      info.cardOwner = document.getElementById("card_owner").value.trim();
      info.cardExp = value("expire_month") + value("expire_year");
    }
    if (document.getElementById("security_code")) { info.securityCode = value("security_code"); }
    WebcollectTokenLib.createToken(info, function (result) {
      document.getElementById("token").value = result.token;
      document.getElementById("member").value = asMember ? "1" : "0";
      document.getElementById("register").value = register ? "1" : "0";
      form.submit();
    }, function (result) {
      var problems = (result && result.errorInfo) || [];
      show("カード情報を確認してください。" + problems.map(function (p) {
        return (p.errorMsg || "") + "(" + p.errorCode + ")";
      }).join(" "));
    });
  });
})();
