ALTER TABLE public.tenants DROP COLUMN customer_ca_pem, DROP COLUMN customer_crl_pem;
