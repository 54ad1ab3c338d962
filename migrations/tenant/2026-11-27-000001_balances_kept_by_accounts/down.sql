DROP TRIGGER transactions_truncated ON transactions;
DROP TRIGGER transactions_updated ON transactions;
DROP TRIGGER transactions_removed ON transactions;
DROP TRIGGER transactions_added ON transactions;
DROP FUNCTION transactions_changed();
DROP FUNCTION accounts_keep_balances(text[]);
ALTER TABLE accounts
    DROP COLUMN balance_before_month,
    DROP COLUMN balance_before_day,
    DROP COLUMN last_transaction_balance,
    DROP COLUMN last_transaction_date;
