-- The access ledger is an append-only record of reads, written in batches after the calls it
-- records, each of which has already read its grant and partner. Its foreign keys made every
-- row take a share lock on its grant and partner rows (two locked lookups, and a write to the
-- grant's page), and grants and partners are never deleted, so they guarded nothing.
ALTER TABLE access_ledger
    DROP CONSTRAINT access_ledger_grant_id_fkey,
    DROP CONSTRAINT access_ledger_partner_id_fkey;
