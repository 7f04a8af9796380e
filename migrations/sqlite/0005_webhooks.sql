-- Outgoing webhooks (docs/webhooks.md); see migrations/postgres/0005_webhooks.sql for the reasons.
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP TABLE webhooks;

CREATE TABLE webhooks (
  id                INTEGER PRIMARY KEY,
  owner_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  conversation_id   INTEGER REFERENCES conversations (id) ON DELETE CASCADE,
  url               TEXT NOT NULL CHECK ((url LIKE 'http://%' OR url LIKE 'https://%') AND length(url) <= 2000),
  events            TEXT NOT NULL CHECK (json_valid(events)),
  description       TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 200),
  secret_ciphertext TEXT NOT NULL,
  is_active         INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  failing_since     TEXT,
  disabled_reason   TEXT,
  created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX webhooks_owner_idx ON webhooks (owner_id, id);
CREATE INDEX webhooks_active_idx ON webhooks (id) WHERE is_active;

CREATE TABLE webhook_deliveries (
  id               INTEGER PRIMARY KEY,
  webhook_id       INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id         INTEGER NOT NULL,
  event_type       TEXT NOT NULL,
  payload          TEXT NOT NULL CHECK (json_valid(payload)),
  status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  job_id           INTEGER,
  last_status_code INTEGER CHECK (last_status_code BETWEEN 100 AND 599),
  last_error       TEXT,
  last_duration_ms INTEGER,
  created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  finished_at      TEXT,
  UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_created_idx ON webhook_deliveries (created_at);

CREATE TABLE webhook_dispatch (
  singleton     INTEGER PRIMARY KEY DEFAULT 1 CHECK (singleton = 1),
  last_position INTEGER NOT NULL DEFAULT 0 CHECK (last_position >= 0)
);
INSERT INTO webhook_dispatch (last_position) SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0);
