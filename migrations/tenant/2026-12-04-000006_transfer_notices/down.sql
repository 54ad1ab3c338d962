DROP TABLE transfer_notices;
