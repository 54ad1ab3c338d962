CREATE OR REPLACE FUNCTION transactions_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE accounts SET last_transaction_date = NULL, last_transaction_balance = NULL,
                            balance_before_day = NULL, balance_before_month = NULL
         WHERE last_transaction_date IS NOT NULL;
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM accounts_keep_balances(
            ARRAY(SELECT account_id FROM changed UNION SELECT account_id FROM before));
    ELSE
        PERFORM accounts_keep_balances(ARRAY(SELECT DISTINCT account_id FROM changed));
    END IF;
    RETURN NULL;
END
$$;
