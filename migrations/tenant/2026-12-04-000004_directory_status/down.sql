ALTER TABLE accounts DROP COLUMN opening_balance;
ALTER TABLE grants DROP COLUMN held;
ALTER TABLE customers DROP COLUMN status;
