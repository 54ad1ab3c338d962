-- 振込入金通知 (01): the day's incoming transfers as the bank learns of them. Shown in the console,
-- never served to partners (the day's 入出金取引明細 brings them again). A cancellation
-- (取消区分 1) marks the notice it names.
CREATE TABLE transfer_notices (
    id bigserial PRIMARY KEY,
    import_id bigint NOT NULL,
    account_id text NOT NULL,
    booked_on date NOT NULL,
    value_date date NOT NULL,
    reference text NOT NULL,
    amount bigint NOT NULL CHECK (amount > 0),
    remitter text NOT NULL,
    from_bank text NOT NULL,
    from_branch text NOT NULL,
    cancelled_at timestamptz,
    record bytea NOT NULL,
    UNIQUE (account_id, booked_on, reference)
);
