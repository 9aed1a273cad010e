-- Order numbers (注文番号) are given when the order is made, one after the other, so a
-- checkout the buyer abandoned leaves no gap. The counter starts after the highest numeric
-- order number already given.
CREATE TABLE order_number_counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last BIGINT NOT NULL
);
INSERT INTO order_number_counter (id, last)
SELECT 1, COALESCE(MAX(CAST(order_number AS INTEGER)), 0) FROM orders
WHERE order_number <> '' AND order_number NOT GLOB '*[^0-9]*' AND length(order_number) <= 18;
