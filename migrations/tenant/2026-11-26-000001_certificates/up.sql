-- Electronic certificates (電子証明書) bound to customers, by SHA-256 of the DER encoding.
-- One certificate belongs to one customer; a customer may hold several.
CREATE TABLE customer_certificates (
    fingerprint bytea PRIMARY KEY CHECK (length(fingerprint) = 32),
    customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    subject text NOT NULL,
    issuer text NOT NULL,
    serial text NOT NULL,
    not_before timestamptz NOT NULL,
    not_after timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX customer_certificates_customer ON customer_certificates (customer_id);

-- Certificate-bound access tokens (RFC 8705 §3): SHA-256 of the partner's certificate, which
-- the API then requires on the connection.
ALTER TABLE tokens ADD COLUMN cnf_x5t_s256 bytea CHECK (length(cnf_x5t_s256) = 32);
