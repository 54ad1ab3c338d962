ALTER TABLE tokens DROP COLUMN cnf_x5t_s256;
DROP TABLE customer_certificates;
