-- The event log becomes one row per event instead of one row per recipient (docs/architecture.md,
-- "Event stream"); see migrations/postgres/0002_event_stream.sql for the reasons.
DROP TABLE user_events;
DROP TABLE user_event_counters;

-- SQLite has one writer, so rowids are handed out in commit order: the position is the rowid
-- itself (AUTOINCREMENT: never reused, even after the newest events were purged), and no
-- sequencer is needed.
CREATE TABLE events (
  position        INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation_id INTEGER REFERENCES conversations (id) ON DELETE CASCADE,
  user_id         INTEGER REFERENCES users (id) ON DELETE CASCADE,
  type            TEXT NOT NULL CHECK (length(type) > 0 AND type NOT GLOB '*[^a-z_.]*'),
  payload         TEXT NOT NULL CHECK (json_valid(payload)),
  created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  CHECK (conversation_id IS NOT NULL OR user_id IS NOT NULL)
);
-- A user's stream: the events of each of their conversations after a position, and their own.
CREATE INDEX events_conversation_idx ON events (conversation_id, position) WHERE conversation_id IS NOT NULL;
CREATE INDEX events_user_idx ON events (user_id, position) WHERE user_id IS NOT NULL;
-- Retention purge of old events.
CREATE INDEX events_created_idx ON events (created_at);

-- A member sees the conversation's events numbered after this position (see the PostgreSQL file).
ALTER TABLE conversation_members ADD COLUMN events_from INTEGER NOT NULL DEFAULT 0;
