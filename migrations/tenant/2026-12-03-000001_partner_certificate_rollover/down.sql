ALTER TABLE partners DROP COLUMN cert_subject_next;
