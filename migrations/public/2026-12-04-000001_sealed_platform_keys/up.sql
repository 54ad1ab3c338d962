-- A platform key is stored sealed under the key-encryption key (keys.kek_file); sealed_by names
-- the KEK. A row of before, still in clear, has none and is sealed when a server starts.
ALTER TABLE public.platform_keys ADD COLUMN sealed_by text;
