-- Tracing (docs/operations.md): the W3C traceparent of the span that enqueued a job (a request, or
-- another job), so the job's span joins that trace and what the job sends on (webhooks) carries it.
-- NULL for jobs enqueued outside traced work (schedules, the command line).

ALTER TABLE jobs ADD COLUMN traceparent text;
