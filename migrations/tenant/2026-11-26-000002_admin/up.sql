-- The institution's own people, who run this tenant from /admin. Passwords with Argon2id; a TOTP
-- second factor, set up at the first login.
CREATE TABLE admins (
    id uuid PRIMARY KEY,
    email text NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 254),
    password_hash text NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'viewer')),
    totp_secret bytea,
    -- The last TOTP time step accepted: a code works once.
    totp_last_step bigint,
    failed_logins integer NOT NULL DEFAULT 0,
    locked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz
);

-- Browser sessions of admins (/admin) and customers (/my), shared by every replica. The cookie
-- holds a random token; the table only its hash. 'password' sessions of admins still owe the
-- TOTP step.
CREATE TABLE web_sessions (
    token_hash bytea PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('admin', 'customer')),
    principal uuid NOT NULL,
    stage text NOT NULL CHECK (stage IN ('password', 'active')),
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX web_sessions_principal ON web_sessions (kind, principal);

-- Consent receipts: what the customer was shown when they allowed.
ALTER TABLE grants ADD COLUMN consent_text_hash bytea;
