DROP SEQUENCE public.core_import_ids;
