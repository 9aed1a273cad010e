/*
 * Kuroneko Web Collect sandbox stand-in for embeddedTokenLib.js (specs/yamato.md §6).
 *
 *   WebcollectTokenLib.createToken({
 *     traderCode: "888888709",
 *     authDiv: "2",            // 0 none, 1 3-D Secure, 2 security code, 3 both
 *     optServDiv: "00",        // 00 one-off, 01 the member's card is kept or used
 *     memberId: "", authKey: "",
 *     checkSum: "<SHA-256 hex, spec §5>",
 *     cardNo: "4111111111111111", cardOwner: "TARO YAMADA", cardExp: "1230", securityCode: "123"
 *     // or, for a kept card: cardKey: "1", lastCreditDate: "20260510100000"
 *   }, function onSuccess(result) { result.token … },
 *      function onFailure(result) { result.errorInfo[0].errorCode … });
 *
 * The fields go to the sandbox's token endpoint next to this script (…/token/createToken)
 * and nowhere else; the shop's page keeps only the token. Both callbacks are called
 * asynchronously; a network failure reaches onFailure with errorCode Y020000001.
 */
(function (global) {
  "use strict";

  var script = global.document && global.document.currentScript;
  var endpoint = new URL(
    script && script.src
      ? script.src.replace(/js\/embeddedTokenLib\.js(\?.*)?$/, "createToken")
      : "/sandbox/yamato/api/token/createToken",
    global.location.href
  ).href;
  var KEYS = [
    "traderCode", "authDiv", "optServDiv", "memberId", "authKey", "checkSum",
    "cardKey", "lastCreditDate", "cardNo", "cardOwner", "cardExp", "securityCode"
  ];

  function failure(onFailure, message) {
    if (typeof onFailure === "function") {
      onFailure({ errorInfo: [{ errorCode: "Y020000001", errorMsg: message, errorItem: "" }] });
    }
  }

  function createToken(info, onSuccess, onFailure) {
    var body = [];
    KEYS.forEach(function (key) {
      var value = info ? info[key] : undefined;
      if (value !== undefined && value !== null) {
        body.push(encodeURIComponent(key) + "=" + encodeURIComponent(String(value)));
      }
    });
    var request = new XMLHttpRequest();
    request.open("POST", endpoint);
    request.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    request.onload = function () {
      var answer = null;
      try { answer = JSON.parse(request.responseText); } catch (e) { answer = null; }
      if (answer && answer.returnCode === "0") {
        if (typeof onSuccess === "function") { onSuccess({ token: answer.token }); }
      } else if (answer && answer.errorInfo) {
        if (typeof onFailure === "function") { onFailure({ errorInfo: answer.errorInfo }); }
      } else {
        failure(onFailure, "トークンを取得できませんでした");
      }
    };
    request.onerror = function () { failure(onFailure, "通信エラーが発生しました"); };
    request.send(body.join("&"));
  }

  global.WebcollectTokenLib = { createToken: createToken };
})(window);
