-- Storefront: the buyer's shop session, delivery date and time options of delivery methods,
-- the chosen delivery date and time on orders, and the once-only conversion tag claim.

-- A shop session: only a hash of the cookie token is kept, with the session's CSRF token, the
-- logged-in member, and the cart with what the buyer entered (JSON, never card data).
CREATE TABLE shop_sessions (
    token_hash TEXT PRIMARY KEY,
    csrf_token TEXT NOT NULL,
    member_id BIGINT REFERENCES members(id) ON DELETE CASCADE,
    data_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX shop_sessions_expiry ON shop_sessions (expires_at);
CREATE INDEX shop_sessions_member ON shop_sessions (member_id);

-- 配達希望日: the earliest date is `date_earliest_days` after the order, and the buyer chooses
-- among `date_range_days` days from there (0 = no date can be chosen). 配達時間帯: one time
-- slot per line (empty = none can be chosen).
ALTER TABLE delivery_methods ADD COLUMN date_earliest_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE delivery_methods ADD COLUMN date_range_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE delivery_methods ADD COLUMN time_slots TEXT NOT NULL DEFAULT '';

-- The buyer's 配達希望日 (none when not chosen) and 配達時間帯 (empty when not chosen).
ALTER TABLE orders ADD COLUMN delivery_date TEXT;
ALTER TABLE orders ADD COLUMN delivery_time TEXT NOT NULL DEFAULT '';
-- Set by the one 購入完了 page view that showed the conversion tag.
ALTER TABLE orders ADD COLUMN conversion_shown_at TEXT;
-- 購入履歴 on the member's page.
CREATE INDEX orders_member ON orders (member_id, id);
