-- Email notifications (docs/notifications.md); see migrations/postgres/0007_notifications.sql for
-- the reasons.
CREATE TABLE notification_pending (
  user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  message_id    INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  reason        TEXT NOT NULL CHECK (reason IN ('mention', 'direct', 'all')),
  digest_job_id INTEGER,
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (user_id, message_id)
);
CREATE INDEX notification_pending_message_idx ON notification_pending (message_id);
CREATE INDEX notification_pending_created_idx ON notification_pending (created_at);

CREATE TABLE notification_state (
  user_id          INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  digest_scheduled INTEGER NOT NULL DEFAULT 0 CHECK (digest_scheduled IN (0, 1)),
  last_digest_at   TEXT,
  digests_sent     INTEGER NOT NULL DEFAULT 0 CHECK (digests_sent >= 0)
);

CREATE INDEX user_settings_all_idx ON user_settings (user_id) WHERE email_notifications = 'all';

CREATE TABLE notification_dispatch (
  singleton     INTEGER PRIMARY KEY DEFAULT 1 CHECK (singleton = 1),
  last_position INTEGER NOT NULL DEFAULT 0 CHECK (last_position >= 0)
);
INSERT INTO notification_dispatch (last_position) SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0);
