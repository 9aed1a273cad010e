"""Test data for .ci/api-contract, made through the API as a headless shop would.

Usage: api_contract_seed.py BASE_URL API_KEY

Starts a checkout left pending (its link key) and a few paid with the sandbox's good card
(their order ids), on the demo shop's first payment method (a card), and prints the TOML that
hands them to schemathesis: half of the generated link keys and order ids are these, so the
operations reach a real checkout and a real order instead of answering 404 only.
"""

import json
import sys
import urllib.parse
import urllib.request
import uuid

BASE, KEY = sys.argv[1], sys.argv[2]
CARD = "4111111111110000"
ORDERS = 4


def call(method, path, body=None):
    headers = {"Authorization": f"Bearer {KEY}"}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    if method == "POST":
        headers["Idempotency-Key"] = str(uuid.uuid4())
    request = urllib.request.Request(BASE + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def start_checkout():
    return call(
        "POST",
        "/api/v1/checkouts",
        {
            "items": [{"product_code": "DEMO-TEA-01", "quantity": 2}],
            "customer": {
                "email": "buyer@example.jp",
                "family_name": "山田",
                "given_name": "太郎",
                "family_kana": "ヤマダ",
                "given_kana": "タロウ",
                "postal_code": "100-0001",
                "prefecture": "東京都",
                "address1": "千代田区千代田1-1",
                "phone": "03-1234-5678",
            },
            "delivery_method_id": 1,
            "payment_method_id": 1,
        },
    )


def card_token(parameters):
    """A token from the sandbox's token service, as its script would get one."""
    base = parameters["token_script"].rsplit("/js/", 1)[0]
    form = urllib.parse.urlencode(
        {
            "merchant_id": parameters["merchant_id"],
            "token_generate_key": parameters["token_key"],
            "card_number": CARD,
            "card_expire_year": "30",
            "card_expire_month": "12",
            "card_cvc": "123",
            "card_name": "TARO YAMADA",
        }
    ).encode()
    with urllib.request.urlopen(base + "/n/token/request", data=form) as response:
        answer = json.load(response)
    card = answer["tokenizedCardObject"]
    return {
        "token": card["token"],
        "masked_card_number": card["masked_card_number"],
        "valid_until": card["valid_until"],
        "fingerprint": card["fingerprint"],
        "hc": answer["hc"],
    }


def paid_order():
    to_pay = start_checkout()
    handoff = to_pay["handoff"]
    assert handoff and handoff["page"] == "checkout_card", f"method 1 is not a card: {to_pay}"
    step = {"step": "card", "card": card_token(handoff["parameters"]), "payment_choice": "10"}
    paid = call("POST", f"/api/v1/checkouts/{to_pay['link_key']}/submit", {to_pay["provider"]: step})
    assert paid["status"] == "ordered", paid
    return paid["order_id"]


pending = start_checkout()
# Several orders: the first cancel drawn ends an order's operations (409 from then on).
orders = [paid_order() for _ in range(ORDERS)]

print(
    f"""
[dictionaries]
link-keys = {{ values = ["{pending['link_key']}"] }}
orders = {{ values = {json.dumps(orders)} }}

[parameters]
"path.link_key" = {{ dictionary = "link-keys", probability = 0.5 }}
"path.id" = {{ dictionary = "orders", probability = 0.5 }}
"""
)
