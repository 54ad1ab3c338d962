-- Imports of the bank's files are numbered across every tenant, so that an import's number
-- alone names it (renkei core imports revert ID).
CREATE SEQUENCE public.core_import_ids;
