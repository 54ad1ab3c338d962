DROP TABLE public.address_limits;
