ALTER TABLE access_ledger
    ADD CONSTRAINT access_ledger_grant_id_fkey FOREIGN KEY (grant_id) REFERENCES grants (id) ON DELETE CASCADE,
    ADD CONSTRAINT access_ledger_partner_id_fkey FOREIGN KEY (partner_id) REFERENCES partners (id) ON DELETE CASCADE;
