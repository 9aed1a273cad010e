/*
 * atone sandbox stand-in for atone.js (specs/atone.md §7).
 *
 *   Atone.config({
 *     pre_token: "<token from an earlier authenticated() or ''>",
 *     pub_key: "sandbox_public_key",
 *     payment: { amount: 1000, shop_transaction_no: "…", checksum: "…", customer: {…}, items: [ … ] },
 *     authenticated: function (authentication_token) { … },
 *     cancelled: function () { … },
 *     failed: function (response) { … },     // NG { id, authorization_result: 2, authorization_result_ng_reason }
 *                                             // or a refusal { name, message, errors }
 *     succeeded: function (response) { … },  // { id, authorization_result: 1, subtract_point: 0 }
 *     error: function (name, message, errors) { … }
 *   }, function ready() { … });
 *   Atone.sync();   // nothing to do in the sandbox
 *   Atone.start();
 *
 * start() lays a modal overlay over the page with an iframe of /v1/widget next to this
 * script. The widget says "ready"; the script answers with pub_key, pre_token and payment
 * (postMessage to the sandbox's origin only). The widget checks them with the sandbox
 * and shows the amount and the test members. Then, by message from the widget (accepted
 * from that iframe and the sandbox's origin only), the overlay closes and:
 *   - confirmed: authenticated(token), then succeeded(response) or failed(response);
 *   - 閉じる: cancelled();
 *   - refused (bad payment, checksum, shop_transaction_no taken, lapsed page): failed(error);
 *   - unknown pub_key (EATN0304): error(name, message, errors), or failed(error) when the
 *     shop gave no error callback.
 * Nothing is loaded from outside the sandbox.
 */
(function (global) {
  "use strict";

  var doc = global.document;
  var script = doc && doc.currentScript;
  var widgetUrl = new URL(
    script && script.src ? script.src.replace(/\/atone\.js(\?.*)?$/, "/widget") : "/sandbox/atone/v1/widget",
    global.location.href
  );
  var widgetOrigin = widgetUrl.origin;
  var options = {};
  var overlay = null;
  var frame = null;

  function call(name, args) {
    var callback = options[name];
    if (typeof callback === "function") { callback.apply(null, args); }
  }

  function close() {
    global.removeEventListener("message", listen);
    if (overlay && overlay.parentNode) { overlay.parentNode.removeChild(overlay); }
    overlay = null;
    frame = null;
  }

  function plain(value) {
    return value === undefined ? null : JSON.parse(JSON.stringify(value));
  }

  function listen(event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== widgetOrigin) { return; }
    var data = event.data || {};
    switch (data.atone_sandbox) {
      case "ready":
        frame.contentWindow.postMessage({
          atone_sandbox: "payment",
          pub_key: options.pub_key || "",
          pre_token: options.pre_token || "",
          payment: plain(options.payment)
        }, widgetOrigin);
        break;
      case "cancelled":
        close();
        call("cancelled", []);
        break;
      case "done":
        close();
        call("authenticated", [data.authentication_token]);
        call(data.result === "succeeded" ? "succeeded" : "failed", [data.response]);
        break;
      case "failed":
        close();
        call("failed", [data.response]);
        break;
      case "error":
        close();
        if (typeof options.error === "function") {
          call("error", [data.response.name, data.response.message, data.response.errors]);
        } else {
          call("failed", [data.response]);
        }
        break;
      default:
        break;
    }
  }

  function start() {
    if (overlay) { return; }
    overlay = doc.createElement("div");
    overlay.id = "atone-sandbox";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-label", "atone");
    overlay.style.cssText = "position:fixed;inset:0;background:rgba(0,0,0,.45);display:flex;align-items:center;justify-content:center;z-index:2147483647";
    frame = doc.createElement("iframe");
    frame.id = "atone-sandbox-frame";
    frame.title = "atone";
    frame.src = widgetUrl.href;
    frame.style.cssText = "width:min(36em,96vw);height:min(44em,92vh);border:0;border-radius:8px;background:#fff";
    overlay.appendChild(frame);
    global.addEventListener("message", listen);
    doc.body.appendChild(overlay);
  }

  global.Atone = {
    config: function (given, ready) {
      options = given || {};
      if (typeof ready === "function") { global.setTimeout(ready, 0); }
    },
    sync: function () {},
    start: start
  };
})(window);
