ALTER TABLE public.platform_keys DROP COLUMN sealed_by;
