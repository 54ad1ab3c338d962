-- Two writers adding to one account's history at once, neither holding the account's row first,
-- could each recompute the account's kept balances from a history without the other's rows: the
-- later one waited for the earlier's row lock, then wrote what it had read before the wait. Now
-- the trigger first locks the accounts (FOR NO KEY UPDATE, which the inserts' foreign-key checks
-- do not conflict with; in account order), and recomputes once it holds them, from a history that
-- has everything committed before.
CREATE OR REPLACE FUNCTION transactions_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    touched text[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE accounts SET last_transaction_date = NULL, last_transaction_balance = NULL,
                            balance_before_day = NULL, balance_before_month = NULL
         WHERE last_transaction_date IS NOT NULL;
        RETURN NULL;
    ELSIF TG_OP = 'UPDATE' THEN
        touched := ARRAY(SELECT account_id FROM changed UNION SELECT account_id FROM before);
    ELSE
        touched := ARRAY(SELECT DISTINCT account_id FROM changed);
    END IF;
    PERFORM 1 FROM accounts WHERE account_id = ANY (touched) ORDER BY account_id FOR NO KEY UPDATE;
    PERFORM accounts_keep_balances(touched);
    RETURN NULL;
END
$$;
