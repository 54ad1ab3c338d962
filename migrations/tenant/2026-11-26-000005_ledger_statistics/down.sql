ALTER TABLE access_ledger RESET (autovacuum_analyze_threshold);
