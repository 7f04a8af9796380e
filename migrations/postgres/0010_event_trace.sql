-- Tracing (docs/operations.md): the W3C traceparent of the span that wrote an event (the request
-- or job whose transaction it describes), so what the event causes later (webhook deliveries) joins
-- that trace. NULL for events written outside traced work.

ALTER TABLE events ADD COLUMN traceparent text;
