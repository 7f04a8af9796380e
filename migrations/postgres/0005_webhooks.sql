-- Outgoing webhooks (docs/webhooks.md). The tables of 0001 were never used; they are replaced:
-- the subscribed event types become one JSON array per webhook (matched in the dispatcher, never
-- queried by type), a webhook records how long it has been failing (to disable it), and a
-- delivery is tied to the event it carries, once per webhook.
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP TABLE webhooks;

CREATE TABLE webhooks (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  conversation_id   bigint REFERENCES conversations (id) ON DELETE CASCADE,  -- NULL: every conversation the owner is in
  url               text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
  events            jsonb NOT NULL,   -- event types, ["*"] for all
  description       text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
  secret_ciphertext text NOT NULL,    -- the HMAC key, sealed with PARLEY_SECRET_KEY (webhooks/secret_box.hpp)
  is_active         boolean NOT NULL DEFAULT true,
  failing_since     timestamptz,      -- the first failed attempt since the last success
  disabled_reason   text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
-- GET /webhooks: mine.
CREATE INDEX webhooks_owner_idx ON webhooks (owner_id, id);
-- Dispatch: the active webhooks (few per workspace; read whole for each batch of events).
CREATE INDEX webhooks_active_idx ON webhooks (id) WHERE is_active;

CREATE TABLE webhook_deliveries (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_id       bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id         bigint NOT NULL,  -- the event's position (its id in the API)
  event_type       text NOT NULL,
  payload          jsonb NOT NULL,   -- the body as sent
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  job_id           bigint,           -- the delivery job (its run_at is the next attempt)
  last_status_code integer CHECK (last_status_code BETWEEN 100 AND 599),
  last_error       text,
  last_duration_ms integer,
  created_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  UNIQUE (webhook_id, event_id)      -- an event reaches a webhook once, even if dispatched twice
);
-- GET /webhooks/{id}/deliveries, newest first (the UNIQUE index above serves the FK).
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);
-- Cleanup of old deliveries.
CREATE INDEX webhook_deliveries_created_idx ON webhook_deliveries (created_at);

-- How far the dispatcher has read the event log. One row; the dispatcher locks it, so dispatchers
-- in several workers take turns and never hand out an event twice.
CREATE TABLE webhook_dispatch (
  singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_position bigint NOT NULL DEFAULT 0 CHECK (last_position >= 0)
);
-- Start from the present: events from before webhooks existed are not delivered.
INSERT INTO webhook_dispatch (last_position) SELECT last_position FROM event_sequence;
