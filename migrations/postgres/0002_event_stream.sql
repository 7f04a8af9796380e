-- The event log becomes one row per event instead of one row per recipient (docs/architecture.md,
-- "Event stream"): a send writes one row whatever the size of its audience, and a user's stream is
-- read at resume time from the events of the conversations they belong to.
DROP TABLE user_events;
DROP TABLE user_event_counters;

-- One row per domain event. Its audience: the members of conversation_id (those not banned, who
-- joined before the event was sequenced) and/or user_id (an event for one user, e.g. read.updated,
-- or the user a member.removed is about).
--
-- `position` is the event's place in the one global order and the event id clients see. It is
-- NULL until the sequencer numbers the row AFTER the writing transaction committed: numbers taken
-- inside a transaction (a sequence) would commit out of order, and a reader that saw 101 before 100
-- committed would skip 100 for good.
CREATE TABLE events (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  position        bigint UNIQUE,
  conversation_id bigint REFERENCES conversations (id) ON DELETE CASCADE,
  user_id         bigint REFERENCES users (id) ON DELETE CASCADE,
  type            text NOT NULL CHECK (type ~ '^[a-z_]+(\.[a-z_]+)?$'),
  payload         jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (conversation_id IS NOT NULL OR user_id IS NOT NULL)
);
-- The sequencer's work list: committed rows not numbered yet.
CREATE INDEX events_unsequenced_idx ON events (id) WHERE position IS NULL;
-- A user's stream: the events of each of their conversations after a position, and their own.
CREATE INDEX events_conversation_idx ON events (conversation_id, position) WHERE conversation_id IS NOT NULL;
CREATE INDEX events_user_idx ON events (user_id, position) WHERE user_id IS NOT NULL;
-- Retention purge of old events.
CREATE INDEX events_created_idx ON events (created_at);

-- The last position handed out. The sequencer locks this one row, so sequencers in several
-- processes take turns and positions commit in increasing order.
CREATE TABLE event_sequence (
  singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_position bigint NOT NULL DEFAULT 0 CHECK (last_position >= 0)
);
INSERT INTO event_sequence DEFAULT VALUES;

-- A member sees the conversation's events numbered after this position: the newest position when
-- they joined, so a resume never replays what happened in a conversation before one joined it.
ALTER TABLE conversation_members ADD COLUMN events_from bigint NOT NULL DEFAULT 0;
