ALTER TABLE grants DROP COLUMN consent_text_hash;
DROP TABLE web_sessions;
DROP TABLE admins;
