-- The authorization server: partners, pending requests, grants, codes and tokens.
-- Secrets we generate (client secrets, codes, tokens, request handles) are stored only as SHA-256.

CREATE TABLE partners (
    id uuid PRIMARY KEY,
    client_id text NOT NULL UNIQUE CHECK (client_id ~ '^[A-Za-z0-9._-]{3,64}$'),
    client_secret_hash bytea,
    name_ja text NOT NULL,
    name_en text NOT NULL,
    redirect_uris text[] NOT NULL CHECK (cardinality(redirect_uris) > 0),
    scopes text[] NOT NULL CHECK (cardinality(scopes) > 0),
    auth_method text NOT NULL
        CHECK (auth_method IN ('client_secret_basic', 'client_secret_post', 'tls_client_auth')),
    cert_subject text,
    par_required boolean NOT NULL DEFAULT false,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((auth_method = 'tls_client_auth') = (cert_subject IS NOT NULL)),
    CHECK ((auth_method = 'tls_client_auth') OR client_secret_hash IS NOT NULL)
);

-- An authorization request between /oauth/authorize (or /oauth/par) and the redirect back.
-- Kept here so any replica can continue it.
CREATE TABLE auth_requests (
    handle_hash bytea PRIMARY KEY,
    partner_id uuid NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    redirect_uri text NOT NULL,
    scopes text[] NOT NULL,
    state text NOT NULL,
    code_challenge text NOT NULL,
    csrf_token text NOT NULL,
    -- 'par' rows wait for /authorize; 'login' and 'consent' rows belong to a browser.
    stage text NOT NULL CHECK (stage IN ('par', 'login', 'consent')),
    customer_id uuid REFERENCES customers (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX auth_requests_expiry ON auth_requests (expires_at);

-- Consecutive failed logins per typed ID, whether or not the ID exists, so the lockout
-- behaves the same for both and reveals nothing.
CREATE TABLE login_guard (
    login_id text PRIMARY KEY,
    failures integer NOT NULL DEFAULT 0,
    locked_at timestamptz,
    last_failure_at timestamptz
);

CREATE TABLE grants (
    id uuid PRIMARY KEY,
    customer_id uuid NOT NULL REFERENCES customers (id),
    partner_id uuid NOT NULL REFERENCES partners (id),
    scopes text[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    revoked_reason text,
    terms_version text NOT NULL,
    CHECK (expires_at > created_at),
    CHECK (expires_at <= created_at + interval '90 days')
);
-- At most one live grant per customer and partner: consenting again replaces it.
CREATE UNIQUE INDEX grants_one_live ON grants (customer_id, partner_id) WHERE revoked_at IS NULL;
CREATE INDEX grants_expiry ON grants (expires_at) WHERE revoked_at IS NULL;

CREATE TABLE grant_accounts (
    grant_id uuid NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    account_id text NOT NULL REFERENCES accounts (account_id),
    PRIMARY KEY (grant_id, account_id)
);

CREATE TABLE auth_codes (
    code_hash bytea PRIMARY KEY,
    grant_id uuid NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    redirect_uri text NOT NULL,
    code_challenge text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);

CREATE TABLE tokens (
    token_hash bytea PRIMARY KEY,
    grant_id uuid NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('access', 'refresh')),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    -- A refresh token that has been exchanged; presenting it again means theft.
    rotated_at timestamptz
);
CREATE INDEX tokens_grant ON tokens (grant_id);
