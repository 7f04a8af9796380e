-- An event's payload is stored as the JSON text its writer produced (json, not jsonb): every
-- reader wants that text back (the real-time hub, a resume, webhooks), so jsonb's parse on insert
-- and re-serialization on each read were pure cost (docs/benchmarks.md, "Issue 10"), and a
-- replayed event now has the same bytes, key order included, as the live one. The one lookup
-- inside it (the notification job's payload ->> 'id') reads the text.
ALTER TABLE events ALTER COLUMN payload TYPE json;
