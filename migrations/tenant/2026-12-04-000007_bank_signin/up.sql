-- The bank's own sign-in (directory = "oidc"): the identifier its provider names a customer by,
-- when it is not their login ID.
ALTER TABLE customers ADD COLUMN bank_customer_id text UNIQUE;

-- Secrets the bank gave the tenant (its provider's client secret), sealed under the
-- key-encryption key and bound to their row.
CREATE TABLE bank_secrets (
    name text PRIMARY KEY,
    secret bytea NOT NULL,
    sealed_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A sign-in sent to the bank's provider and not back yet: found by the SHA-256 of its state,
-- used once. With a flow's handle it goes on to the consent page, without one to /my.
CREATE TABLE oidc_sign_ins (
    state_hash bytea PRIMARY KEY,
    nonce text NOT NULL,
    pkce_verifier text NOT NULL,
    flow_handle_hash bytea,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oidc_sign_ins_created ON oidc_sign_ins (created_at);
