-- Payments core: history labels, the hand-off scratch data, the notification inbox, stored
-- card references, and the JSON API's keys and idempotency records.

-- The 処理区分 shown in the payment history: a telegram's name (カード決済売上) for an
-- operation row, a provider status label (消込済) for a status row (operation = 'status').
ALTER TABLE payment_operations ADD COLUMN label TEXT NOT NULL DEFAULT '';
-- At most one provider call in flight per payment: a second operator's click (or a retried
-- request) cannot start a second capture while the first has no answer yet.
CREATE UNIQUE INDEX payment_operations_one_pending ON payment_operations (payment_id) WHERE outcome = 'pending';

-- What the hand-off needs between two browser steps (e.g. the card token between the
-- 3-D Secure request and the authorization); never card numbers; cleared once authorized.
ALTER TABLE payments ADD COLUMN handoff_json TEXT NOT NULL DEFAULT '';
CREATE INDEX payments_provider_payment ON payments (provider, provider_payment_id);

-- Every notification a provider sent, stored raw before it is acknowledged; `dedup_key` makes
-- a resent notification a no-op.
CREATE TABLE notifications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider TEXT NOT NULL,
    dedup_key TEXT NOT NULL UNIQUE,
    raw_body TEXT NOT NULL,
    link_key TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    processed_at TIMESTAMPTZ
);
CREATE INDEX notifications_received ON notifications (received_at);

-- A member's card kept at the provider: only the reference, last four digits and expiry.
CREATE TABLE stored_cards (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    card_ref TEXT NOT NULL,
    last4 TEXT NOT NULL,
    expiry TEXT NOT NULL,
    brand TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (provider, customer_id, card_ref)
);
CREATE INDEX stored_cards_member ON stored_cards (member_id);

-- JSON API keys: only a hash of the key is kept; the prefix identifies it in the admin.
CREATE TABLE api_keys (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);

-- Idempotency-Key records: the first request with a key claims it; its response is saved and
-- replayed to any retry with the same body.
CREATE TABLE idempotency_keys (
    api_key_id BIGINT NOT NULL REFERENCES api_keys(id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_status INTEGER,
    response_body TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (api_key_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
