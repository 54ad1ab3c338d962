ALTER TABLE tokens DROP COLUMN rotated_from;
