-- E-mail to customers: one row per notice a grant is due, sent exactly once.
CREATE TABLE notices (
    id bigserial PRIMARY KEY,
    grant_id uuid NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    -- 'expiry' (days_before > 0) or 'linked' (the security notice of a new link, days_before 0).
    kind text NOT NULL CHECK (kind IN ('expiry', 'linked')),
    days_before smallint NOT NULL CHECK (days_before >= 0),
    due_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error text,
    skipped_reason text,
    sent_at timestamptz,
    message_id text,
    UNIQUE (grant_id, kind, days_before)
);
CREATE INDEX notices_due ON notices (next_attempt_at) WHERE status = 'pending';
