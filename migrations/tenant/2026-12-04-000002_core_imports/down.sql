ALTER TABLE accounts DROP COLUMN imported_at, DROP COLUMN imported_through;
DROP INDEX transactions_imported;
ALTER TABLE transactions DROP COLUMN record, DROP COLUMN kind, DROP COLUMN reference, DROP COLUMN import_id;
DROP TABLE core_imports;
