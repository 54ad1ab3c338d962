-- The refresh token whose rotation issued a token: a rotation retried by its partner (its
-- answer lost) finds the pair it issued among its grant's tokens (tokens_grant), to revoke it
-- and issue another. No index of its own: every refresh writes two rows, and only a retry reads.
ALTER TABLE tokens ADD COLUMN rotated_from bytea;
