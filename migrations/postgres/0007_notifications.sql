-- Email notifications of unread mentions and direct messages, batched into digests
-- (docs/notifications.md).
--
-- The path: a message commits -> the notification dispatcher (in `parley worker`) reads the event
-- log after its cursor and, in one transaction, writes a pending row per recipient whose settings
-- ask for mail about it, schedules one digest job per such user who has none scheduled, and moves
-- the cursor -> the digest job takes the user's pending rows, mails those still unread, and deletes
-- them in the transaction that records the digest.

-- A message a user may be mailed about, until a digest takes it.
CREATE TABLE notification_pending (
  user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  message_id    bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  reason        text NOT NULL CHECK (reason IN ('mention', 'direct', 'all')),
  digest_job_id bigint,  -- the digest job that took it; NULL: waiting for the next digest
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, message_id)  -- a digest reads its user's rows; an event is dispatched once per user
);
-- FK support: deleting a message (and a conversation's messages) deletes its pending rows.
CREATE INDEX notification_pending_message_idx ON notification_pending (message_id);
-- Cleanup of rows a dead digest job left behind.
CREATE INDEX notification_pending_created_idx ON notification_pending (created_at);

-- Per user: whether a digest job is scheduled (the coalescing flag: the dispatcher and the digest
-- job lock this row, so a message is either taken by the digest that runs or schedules the next
-- one), and the last digest sent.
CREATE TABLE notification_state (
  user_id          bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  digest_scheduled boolean NOT NULL DEFAULT false,
  last_digest_at   timestamptz,
  digests_sent     integer NOT NULL DEFAULT 0 CHECK (digests_sent >= 0)
);

-- Dispatch: the users who want mail about every message (few; read per message dispatched).
CREATE INDEX user_settings_all_idx ON user_settings (user_id) WHERE email_notifications = 'all';

-- How far the notification dispatcher has read the event log (one row, locked by the dispatcher:
-- dispatchers in several workers take turns and never dispatch an event twice).
CREATE TABLE notification_dispatch (
  singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_position bigint NOT NULL DEFAULT 0 CHECK (last_position >= 0)
);
-- Start from the present: messages from before notifications existed are not mailed.
INSERT INTO notification_dispatch (last_position) SELECT last_position FROM event_sequence;
