-- 0003_outbox: outgoing e-mail. (Filled in by the mail work.)
SELECT 1;
