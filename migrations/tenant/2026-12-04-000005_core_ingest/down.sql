DROP TABLE core_ingests;
DROP TABLE core_ingest_keys;
