-- 0025: a bound on the replies one reply address takes (internal/sendgrid/inboundparse): anyone who
-- learns a reply+<ref>@ address could otherwise add notes to its customer without end. The count is
-- kept on the address's own row, per UTC day: replies_day is the day of the last reply admitted,
-- replies_that_day how many were admitted that day (store.AdmitReply).
ALTER TABLE reply_addresses
    ADD COLUMN replies_day date,
    ADD COLUMN replies_that_day integer NOT NULL DEFAULT 0 CHECK (replies_that_day >= 0);
