-- Request counters per client address, shared by every tenant and every replica: an address
-- (an IPv6 /64) gets one allowance for sign-ins and one for new authorization requests, however
-- many credit unions it tries. UNLOGGED, as the tenants' rate_limits: a crash may forget a
-- minute of counting, and the writes skip the WAL.
CREATE UNLOGGED TABLE public.address_limits (
    key text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    hits integer NOT NULL
);
