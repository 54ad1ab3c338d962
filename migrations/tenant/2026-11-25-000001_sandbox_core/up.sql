-- Runs with search_path set to the tenant's schema: every name here is the tenant's own.

-- The sandbox CustomerDirectory: WEB-FB contract holders of this institution.
CREATE TABLE customers (
    id uuid PRIMARY KEY,
    login_id text NOT NULL UNIQUE CHECK (length(login_id) BETWEEN 1 AND 64),
    password_hash text NOT NULL,
    email text NOT NULL,
    locale text NOT NULL DEFAULT 'ja' CHECK (locale IN ('ja', 'en')),
    name text NOT NULL,
    name_kana text NOT NULL,
    failed_logins integer NOT NULL DEFAULT 0,
    locked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The sandbox CoreBanking: accounts and their movements, amounts in whole yen.
CREATE TABLE accounts (
    account_id text PRIMARY KEY CHECK (account_id ~ '^[0-9]{12}$'),
    customer_id uuid NOT NULL REFERENCES customers (id),
    branch_code text NOT NULL CHECK (branch_code ~ '^[0-9]{3}$'),
    branch_name text NOT NULL,
    account_type_code text NOT NULL CHECK (account_type_code ~ '^[0-9]{2}$'),
    account_type_name text NOT NULL,
    account_number text NOT NULL CHECK (account_number ~ '^[0-9]{7}$'),
    account_name text NOT NULL,
    account_name_kana text NOT NULL,
    currency_code text NOT NULL DEFAULT 'JPY',
    balance bigint NOT NULL DEFAULT 0,
    opened_on date NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (account_id = branch_code || account_type_code || account_number)
);
CREATE INDEX accounts_customer ON accounts (customer_id);

CREATE TABLE transactions (
    id bigserial PRIMARY KEY,
    account_id text NOT NULL REFERENCES accounts (account_id),
    transaction_date date NOT NULL,
    value_date date NOT NULL,
    transaction_type smallint NOT NULL CHECK (transaction_type IN (1, 2)),
    amount bigint NOT NULL CHECK (amount > 0),
    remarks text NOT NULL,
    balance bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX transactions_by_account_date ON transactions (account_id, transaction_date, id);

-- Every security-relevant event of this tenant.
CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    event text NOT NULL,
    actor text NOT NULL,
    subject text,
    ip text,
    detail jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
