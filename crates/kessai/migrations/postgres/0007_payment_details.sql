-- What the buyer needs to pay a payment made after ordering (convenience store, Pay-easy
-- ATM): the provider's numbers as labelled rows (JSON `[[label, value], …]`, e.g.
-- 払込番号, 収納機関番号, お客様番号, 確認番号), shown on the 購入完了 page and put in the
-- thank-you mail; and the deadline to pay, after which the provider expires the payment.
ALTER TABLE payments ADD COLUMN details_json TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN deadline TIMESTAMPTZ;
