DROP TABLE oidc_sign_ins;
DROP TABLE bank_secrets;
ALTER TABLE customers DROP COLUMN bank_customer_id;
