DROP TABLE access_ledger;
