/*
 * Paygent sandbox token script: the browser side of the token API (specs/paygent.md §6.6).
 *
 *   var paygentToken = new PaygentToken();
 *   paygentToken.createToken(merchantId, tokenGenerateKey,
 *     { card_number: "4900000000000000", expire_year: "30", expire_month: "12",
 *       cvc: "123", name: "TARO YAMADA" },
 *     function (response) { if (response.result === "0000") { ... response.tokenizedCardObject.token ... } });
 *   paygentToken.createCvcToken(merchantId, tokenGenerateKey, { cvc: "123" }, callback);
 *
 * The request goes to /n/token/request next to this script's own /js/ folder, so the same
 * file works wherever the sandbox is mounted. Result codes are those of §6.6 (7001 when
 * the request could not be sent, 9000 when the answer could not be read).
 */
(function (global) {
  "use strict";

  var script = global.document && global.document.currentScript;
  var endpoint = script && script.src
    ? script.src.replace(/\/js\/PaygentToken\.js(\?.*)?$/, "/n/token/request")
    : "/n/token/request";

  function send(fields, callback) {
    var body = Object.keys(fields)
      .filter(function (name) { return fields[name] !== undefined && fields[name] !== null; })
      .map(function (name) {
        return encodeURIComponent(name) + "=" + encodeURIComponent(String(fields[name]));
      })
      .join("&");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", endpoint, true);
    xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8");
    xhr.onload = function () {
      var response;
      try {
        response = JSON.parse(xhr.responseText);
      } catch (e) {
        response = { result: "9000" };
      }
      callback(response);
    };
    xhr.onerror = function () { callback({ result: "7001" }); };
    xhr.send(body);
  }

  function PaygentToken() {}

  PaygentToken.prototype.createToken = function (merchantId, key, card, callback) {
    card = card || {};
    send({
      merchant_id: merchantId,
      token_generate_key: key,
      card_number: card.card_number,
      card_expire_year: card.expire_year,
      card_expire_month: card.expire_month,
      card_cvc: card.cvc,
      card_name: card.name
    }, callback);
  };

  PaygentToken.prototype.createCvcToken = function (merchantId, key, card, callback) {
    card = card || {};
    send({
      merchant_id: merchantId,
      token_generate_key: key,
      card_cvc: card.cvc,
      cvc_only_flg: "1"
    }, callback);
  };

  global.PaygentToken = PaygentToken;
})(window);
