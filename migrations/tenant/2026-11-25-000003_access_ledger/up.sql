-- What each partner read, when, and how much: for the customer's and the admin's eyes.
CREATE TABLE access_ledger (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL,
    grant_id uuid NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    partner_id uuid NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    endpoint text NOT NULL,
    account_id text,
    rows_returned integer NOT NULL,
    status smallint NOT NULL
);
CREATE INDEX access_ledger_grant ON access_ledger (grant_id, at DESC);
