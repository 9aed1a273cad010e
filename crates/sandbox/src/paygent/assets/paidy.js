/*
 * Paygent sandbox stand-in for Paidy Checkout (specs/paygent.md §6.11).
 *
 *   var handler = Paidy.configure({
 *     api_key: "pk_test_123456789",
 *     closed: function (data) { ... data.id, data.status ("authorized" | "rejected" | "closed") ... }
 *   });
 *   handler.launch({ amount: 1080, currency: "JPY", store_name: "…",
 *                    buyer: { email: "…", name1: "…", phone: "…" },
 *                    order: { order_ref: "<trading id>", items: [ … ] } });
 *
 * launch() shows a small overlay that asks for the buyer's e-mail address and phone number,
 * then posts them with the payload to /paidy/checkout next to this script's own /paidy/
 * folder, which authorises the payment and answers the data for `closed`. Closing the
 * overlay answers { status: "closed" }. An e-mail address whose local part is "rejected"
 * is rejected. Nothing is loaded from outside the sandbox.
 */
(function (global) {
  "use strict";

  var doc = global.document;
  var script = doc && doc.currentScript;
  var endpoint = script && script.src
    ? script.src.replace(/\/paidy\/paidy\.js(\?.*)?$/, "/paidy/checkout")
    : "/paidy/checkout";

  function element(tag, attributes, text) {
    var node = doc.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text) { node.appendChild(doc.createTextNode(text)); }
    return node;
  }

  function field(form, id, label, value, type) {
    var wrap = element("p");
    wrap.appendChild(element("label", { "for": id }, label));
    wrap.appendChild(element("br"));
    var input = element("input", { id: id, name: id, type: type, value: value || "" });
    input.style.width = "100%";
    wrap.appendChild(input);
    form.appendChild(wrap);
    return input;
  }

  function post(body, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", endpoint, true);
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.onload = function () {
      var data;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      done(xhr.status === 200 && data ? data : { status: "closed", error: (data && data.error) || "unreadable answer" });
    };
    xhr.onerror = function () { done({ status: "closed", error: "network" }); };
    xhr.send(JSON.stringify(body));
  }

  function launch(options, payload) {
    var closed = typeof options.closed === "function" ? options.closed : function () {};
    var buyer = (payload && payload.buyer) || {};
    var overlay = element("div", { id: "paidy-sandbox", role: "dialog", "aria-label": "Paidy" });
    overlay.style.cssText = "position:fixed;inset:0;background:rgba(0,0,0,.45);display:flex;align-items:center;justify-content:center;z-index:2147483647";
    var box = element("form");
    box.style.cssText = "background:#fff;padding:20px 24px;border-radius:8px;width:320px;font-family:sans-serif";
    box.appendChild(element("h2", {}, "Paidy（サンドボックス）"));
    box.appendChild(element("p", {}, "お支払い金額: " + String(payload && payload.amount) + "円"));
    var email = field(box, "paidy-email", "メールアドレス", buyer.email, "email");
    var phone = field(box, "paidy-phone", "携帯電話番号", buyer.phone, "tel");
    var pay = element("button", { type: "submit" }, "支払う");
    var cancel = element("button", { type: "button" }, "閉じる");
    box.appendChild(pay);
    box.appendChild(cancel);
    overlay.appendChild(box);
    doc.body.appendChild(overlay);

    function finish(data) {
      if (overlay.parentNode) { overlay.parentNode.removeChild(overlay); }
      closed(data);
    }
    cancel.addEventListener("click", function () { finish({ status: "closed" }); });
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      pay.disabled = true;
      post({ api_key: options.api_key, payload: payload, email: email.value, phone: phone.value }, finish);
    });
  }

  global.Paidy = {
    configure: function (options) {
      options = options || {};
      return { launch: function (payload) { launch(options, payload); } };
    }
  };
})(window);
