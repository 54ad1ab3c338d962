-- The refresh token whose rotation issued a token: a rotation retried by its partner (its
-- answer lost) finds the pair it issued, to revoke it and issue another.
ALTER TABLE tokens ADD COLUMN rotated_from bytea;
CREATE INDEX tokens_rotated_from ON tokens (rotated_from) WHERE rotated_from IS NOT NULL;
