-- The CA bundle a tenant's customers' electronic certificates must chain to, and the CA's
-- revocation list: from tenants/<slug>/customer-ca.pem and customer-crl.pem.
ALTER TABLE public.tenants
    ADD COLUMN customer_ca_pem text,
    ADD COLUMN customer_crl_pem text;
