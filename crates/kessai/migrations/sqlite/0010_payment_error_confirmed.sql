-- A payment error the operator has seen is marked 確認済み: the admin's banner counts only
-- the ones not confirmed yet.
ALTER TABLE payment_errors ADD COLUMN confirmed_at TEXT;
