-- What the bank's directory says of a customer: active, locked (no sign-in, the partner API
-- answers 401, grants kept) or closed (no sign-in, grants ended). A locked customer's grants are
-- held: the partner API reads none of them until the customer is active again.
ALTER TABLE customers
    ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'locked', 'closed'));
ALTER TABLE grants ADD COLUMN held boolean NOT NULL DEFAULT false;
-- The balance before the account's first imported movement, as the bank's directory gives it.
ALTER TABLE accounts ADD COLUMN opening_balance bigint;
