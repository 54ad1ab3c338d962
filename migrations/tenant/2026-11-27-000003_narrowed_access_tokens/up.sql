-- A refresh may ask for fewer scopes than the customer granted (RFC 6749 §6). The access token it
-- issues carries the scopes it was given; NULL means the grant's, as for every other token.
ALTER TABLE tokens ADD COLUMN scopes text[];
