-- pgbench script: a portal reply's writes alone (message, thread and ticket activity), over
-- the open tickets with ids :first … :last. It adds messages: run it on a copy of the data.
--   pgbench -n -c 16 -j 2 -T 10 -D first=<id> -D last=<id> -f pg-reply.sql perf_copy
\set tid random(:first, :last)
BEGIN;
INSERT INTO messages (thread_id, ticket_id, author_kind, body, body_html, is_internal, external_id, created_at)
  SELECT id, ticket_id, 'contact', 'Load test reply', '', false, '', now() FROM threads WHERE ticket_id = :tid LIMIT 1;
UPDATE threads SET last_message_at = now() WHERE ticket_id = :tid;
UPDATE tickets SET last_activity_at = now(), updated_at = now() WHERE id = :tid;
COMMIT;
