ALTER TABLE core_imports
    DROP COLUMN reverted_by,
    DROP COLUMN reverted_at,
    DROP COLUMN undo,
    ALTER COLUMN id SET DEFAULT nextval('core_imports_id_seq');
