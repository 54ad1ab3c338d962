-- The tenant's signing keys. A key is published (in the tenant's JWKS) from its creation as the
-- next key, signs while active, and stays published once retired until retired_at +
-- keys.retire_after_hours. The private JWK is sealed under the key-encryption key (sealed_by).
CREATE TABLE signing_keys (
    kid text PRIMARY KEY,
    alg text NOT NULL CHECK (alg IN ('ES256', 'PS256')),
    use text NOT NULL DEFAULT 'sig' CHECK (use = 'sig'),
    state text NOT NULL CHECK (state IN ('next', 'active', 'retired')),
    public_jwk jsonb NOT NULL,
    private_jwk bytea NOT NULL,
    sealed_by text NOT NULL,
    created_at timestamptz NOT NULL,
    activated_at timestamptz,
    retired_at timestamptz,
    CHECK ((state = 'next') = (activated_at IS NULL)),
    CHECK ((state = 'retired') = (retired_at IS NOT NULL))
);
-- One active key and one next key per algorithm and use.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (alg, use) WHERE state = 'active';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (alg, use) WHERE state = 'next';
