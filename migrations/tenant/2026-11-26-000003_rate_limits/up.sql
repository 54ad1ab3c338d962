-- Fixed-window request counters shared by every replica: sign-in attempts per address and per
-- typed ID, token requests per partner. UNLOGGED: a crash may forget a minute of counting, and
-- the writes skip the WAL.
CREATE UNLOGGED TABLE rate_limits (
    key text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    hits integer NOT NULL
);
