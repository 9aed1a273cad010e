-- The mail outbox (メール送信履歴): every mail kessai composes, kept with its whole text.
-- A `SendMail` job per mail delivers it (SMTP, or a .eml file in the data dir); `status` is
-- queued until it is sent (sent) or written (written), or failed once its job is dead.
-- `dedup_key` makes the mails an order causes (order:<id>:thank_you, …) exist once; mails
-- the operator sends by hand have none. The history outlives a deleted order.
CREATE TABLE mails (
    id INTEGER PRIMARY KEY,
    order_id BIGINT REFERENCES orders(id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    dedup_key TEXT UNIQUE,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX mails_order ON mails (order_id);
