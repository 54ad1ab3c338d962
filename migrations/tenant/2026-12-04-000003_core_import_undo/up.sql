-- What an import changed, to undo it: each account's balance and freshness before it.
ALTER TABLE core_imports
    ALTER COLUMN id SET DEFAULT nextval('public.core_import_ids'),
    ADD COLUMN undo jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN reverted_at timestamptz,
    ADD COLUMN reverted_by text;
