-- The bank's own data, imported from its files (renkei core import): each import recorded, each
-- imported movement with its import, its 照会番号 and 取引区分, and the record as it came.
CREATE TABLE core_imports (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    file_name text NOT NULL,
    sha256 bytea NOT NULL,
    format text NOT NULL,
    accounts integer NOT NULL,
    rows_added integer NOT NULL,
    rows_present integer NOT NULL,
    report jsonb NOT NULL
);

ALTER TABLE transactions
    ADD COLUMN import_id bigint,
    ADD COLUMN reference text,
    ADD COLUMN kind text,
    ADD COLUMN record bytea;
CREATE INDEX transactions_imported ON transactions (account_id, transaction_date, id)
    WHERE import_id IS NOT NULL;

-- How fresh an account's data is: the latest 勘定日 imported, and when the import that brought
-- it ran.
ALTER TABLE accounts
    ADD COLUMN imported_through date,
    ADD COLUMN imported_at timestamptz;
