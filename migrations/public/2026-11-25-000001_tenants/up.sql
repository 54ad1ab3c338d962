-- Platform tables. Every tenant's own data lives in its schema tenant_<slug>.
CREATE TABLE public.tenants (
    slug text PRIMARY KEY CHECK (slug ~ '^[a-z][a-z0-9-]{1,30}$'),
    settings jsonb NOT NULL,
    logo bytea NOT NULL,
    logo_content_type text NOT NULL CHECK (logo_content_type IN ('image/png', 'image/svg+xml')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
