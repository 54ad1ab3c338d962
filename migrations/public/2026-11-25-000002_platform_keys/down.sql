DROP TABLE public.platform_keys;
