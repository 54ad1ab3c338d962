-- The access ledger is appended to and read only through its (grant_id, at) index, so its
-- statistics steer no plan. At autovacuum's defaults a tenant's ledger was analysed again after
-- every 50 new rows plus a tenth of its size: tenants that take calls alike cross that line
-- together, and a thousand analyses came within two seconds, each telling every connection to
-- drop what it had cached of that table. On 1,000 tenants the balances calls of the next five
-- seconds then ran at about two thirds of their rate. Now a ledger is first analysed at 10,000
-- rows, and again after 10,000 more plus a tenth of its size.
ALTER TABLE access_ledger SET (autovacuum_analyze_threshold = 10000);
