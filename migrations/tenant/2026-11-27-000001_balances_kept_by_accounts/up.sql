-- A balance inquiry reports each account's balance at the end of yesterday and at the end of
-- last month. Looked up in the account's history, those were two index probes a call, about a
-- third of what PostgreSQL spent on it. An account now keeps them: the day and balance of its
-- last transaction, and its balances before that day and before that day's month began. The
-- triggers below keep them whenever the account's history changes. A call uses them when its
-- day is that day or later (and its month that month or later), and reads the history
-- otherwise.
ALTER TABLE accounts
    ADD COLUMN last_transaction_date date,
    ADD COLUMN last_transaction_balance bigint,
    ADD COLUMN balance_before_day bigint,
    ADD COLUMN balance_before_month bigint;

-- Recomputes the kept balances of `changed` accounts from their history; an account with no
-- history keeps none.
CREATE FUNCTION accounts_keep_balances(changed text[]) RETURNS void
LANGUAGE sql SET search_path FROM CURRENT AS $$
    UPDATE accounts a
       SET last_transaction_date = l.transaction_date,
           last_transaction_balance = l.balance,
           balance_before_day = (
               SELECT x.balance FROM transactions x
                WHERE x.account_id = a.account_id AND x.transaction_date < l.transaction_date
                ORDER BY x.transaction_date DESC, x.id DESC LIMIT 1),
           balance_before_month = (
               SELECT x.balance FROM transactions x
                WHERE x.account_id = a.account_id
                  AND x.transaction_date < date_trunc('month', l.transaction_date)::date
                ORDER BY x.transaction_date DESC, x.id DESC LIMIT 1)
      FROM unnest(changed) AS c (account_id)
      LEFT JOIN LATERAL (
           SELECT t.transaction_date, t.balance FROM transactions t
            WHERE t.account_id = c.account_id
            ORDER BY t.transaction_date DESC, t.id DESC LIMIT 1) l ON true
     WHERE a.account_id = c.account_id
$$;

CREATE FUNCTION transactions_changed() RETURNS trigger
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

CREATE TRIGGER transactions_added AFTER INSERT ON transactions
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION transactions_changed();
CREATE TRIGGER transactions_removed AFTER DELETE ON transactions
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION transactions_changed();
CREATE TRIGGER transactions_updated AFTER UPDATE ON transactions
    REFERENCING OLD TABLE AS before NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION transactions_changed();
CREATE TRIGGER transactions_truncated AFTER TRUNCATE ON transactions
    FOR EACH STATEMENT EXECUTE FUNCTION transactions_changed();

SELECT accounts_keep_balances(ARRAY(SELECT account_id FROM accounts));
