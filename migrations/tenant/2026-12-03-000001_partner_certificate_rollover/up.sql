-- During a partner's certificate rollover, the subject of its new certificate, accepted beside
-- cert_subject until the admin finishes or cancels the rollover.
ALTER TABLE partners ADD COLUMN cert_subject_next text;
