-- An analytics_events row stands for `occurrences` identical events (same name, user, status and
-- properties) within one second: the recorder aggregates what it buffered before writing, so a busy
-- user sending many messages costs a row per second, not a row per message (docs/analytics.md).
-- Counts are sum(occurrences); rows written before this migration stand for one event each.
ALTER TABLE analytics_events ADD COLUMN occurrences integer NOT NULL DEFAULT 1 CHECK (occurrences >= 1);
