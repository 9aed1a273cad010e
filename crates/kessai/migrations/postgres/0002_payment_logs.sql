-- The pre-payment log (決済直前ログ): the whole checkout, written before the hand-off to the
-- provider, keyed by link key; `claimed` is set by the one transaction that turns it into an
-- order, so a browser return and a notification arriving together create one order.
CREATE TABLE prepayment_logs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    link_key TEXT NOT NULL UNIQUE,
    provider TEXT NOT NULL,
    settlement_kind TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount >= 0),
    customer_name TEXT NOT NULL,
    checkout_json TEXT NOT NULL,
    claimed BOOLEAN NOT NULL,
    order_id BIGINT REFERENCES orders(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX prepayment_logs_created ON prepayment_logs (created_at);

-- The payment error log (決済エラーログ): failed provider calls and rejected notifications.
CREATE TABLE payment_errors (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider TEXT NOT NULL,
    settlement_kind TEXT NOT NULL,
    link_key TEXT NOT NULL,
    order_id BIGINT REFERENCES orders(id) ON DELETE SET NULL,
    status_code TEXT NOT NULL,
    message TEXT NOT NULL,
    detail TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX payment_errors_at ON payment_errors (at);
