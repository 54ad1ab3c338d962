DROP TABLE audit_log; DROP TABLE transactions; DROP TABLE accounts; DROP TABLE customers;
