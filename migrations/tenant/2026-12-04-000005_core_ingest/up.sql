-- The bank's systems send their files to POST /t/<slug>/core/v1/imports with an ingest key
-- (stored as its SHA-256 only); each file received is a job, answered at once and imported in
-- the background.
CREATE TABLE core_ingest_keys (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    key_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

CREATE TABLE core_ingests (
    id bigint PRIMARY KEY DEFAULT nextval('public.core_import_ids'),
    received_at timestamptz NOT NULL,
    actor text NOT NULL,
    file_name text NOT NULL,
    bytes bigint NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'imported', 'refused')),
    import_id bigint,
    report jsonb,
    error text,
    finished_at timestamptz
);
