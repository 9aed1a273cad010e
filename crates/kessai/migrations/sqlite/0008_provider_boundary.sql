-- The provider boundary: every payment and kept card records the provider environment it
-- belongs to (a card kept in the test environment is never offered in production); a
-- payment records where it came from (a checkout, or a charge kessai started itself) and a
-- version that serializes the status reports applied to it; a provider call may carry the
-- key of the request that asked for it, so a retry of that request gets its answer.
ALTER TABLE payments ADD COLUMN environment TEXT NOT NULL DEFAULT 'test';
ALTER TABLE payments ADD COLUMN origin TEXT NOT NULL DEFAULT 'checkout';
ALTER TABLE payments ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX payments_one_checkout_per_order ON payments (order_id) WHERE origin = 'checkout';
ALTER TABLE stored_cards ADD COLUMN environment TEXT NOT NULL DEFAULT 'test';
ALTER TABLE payment_operations ADD COLUMN request_key TEXT;
CREATE UNIQUE INDEX payment_operations_request ON payment_operations (payment_id, request_key);
