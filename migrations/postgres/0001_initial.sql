-- Parley schema, PostgreSQL 15. Every table is in 3NF; the few derived columns (messages.reply_count,
-- messages.last_reply_at, user_event_counters) are documented in docs/database.md with the reason.
-- Times are timestamptz (UTC on the wire, RFC 3339 with milliseconds). Every index names the query
-- it serves. Foreign keys always spell out ON DELETE.

-- ---------------------------------------------------------------------------------------------
-- Accounts
-- ---------------------------------------------------------------------------------------------
CREATE TABLE users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username      text NOT NULL CHECK (username ~ '^[A-Za-z0-9_.-]{1,32}$'),
  email         text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254 AND position('@' IN email) > 1),
  password_hash text,  -- NULL for accounts that only log in through OIDC
  role          text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member', 'guest')),
  is_active     boolean NOT NULL DEFAULT true,
  is_bot        boolean NOT NULL DEFAULT false,
  display_name  text NOT NULL DEFAULT '' CHECK (length(display_name) <= 64),
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz
);
-- Login by username and the uniqueness rule: usernames are unique ignoring case.
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
-- Login by email, registration duplicate check (emails are stored lower-cased).
CREATE UNIQUE INDEX users_email_key ON users (email);
-- GET /admin/users?role=&active=: filter by role and state, newest first.
CREATE INDEX users_role_active_idx ON users (role, is_active, id);

CREATE TABLE user_settings (
  user_id             bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  email_notifications text NOT NULL DEFAULT 'mentions' CHECK (email_notifications IN ('all', 'mentions', 'none')),
  timezone            text NOT NULL DEFAULT 'UTC' CHECK (length(timezone) BETWEEN 1 AND 64),
  updated_at          timestamptz NOT NULL DEFAULT now()
);

-- A refresh-token family is one login; every rotation adds a token to it. Reuse of a rotated token
-- revokes the whole family.
CREATE TABLE refresh_token_families (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id        bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at     timestamptz NOT NULL DEFAULT now(),
  revoked_at     timestamptz,
  revoked_reason text CHECK (revoked_reason IN ('logout', 'reuse_detected', 'deactivated', 'password_changed')),
  user_agent     text,
  ip             inet,
  CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
-- Revoke every family of a user (deactivation, password change).
CREATE INDEX refresh_token_families_user_idx ON refresh_token_families (user_id) WHERE revoked_at IS NULL;

CREATE TABLE refresh_tokens (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  family_id  bigint NOT NULL REFERENCES refresh_token_families (id) ON DELETE CASCADE,
  token_hash text NOT NULL CHECK (length(token_hash) = 64),  -- SHA-256 hex; the token itself is never stored
  issued_at  timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at    timestamptz,  -- set when rotated; a second use is reuse
  CHECK (expires_at > issued_at)
);
-- POST /auth/token/refresh: find the presented token.
CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash);
-- FK support for family deletion and listing a family's tokens.
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);

CREATE TABLE sessions (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash      text NOT NULL CHECK (length(token_hash) = 64),
  csrf_token_hash text NOT NULL CHECK (length(csrf_token_hash) = 64),
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  last_used_at    timestamptz NOT NULL DEFAULT now(),
  revoked_at      timestamptz,
  ip              inet,
  user_agent      text,
  CHECK (expires_at > created_at)
);
-- Session cookie authentication on every request.
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
-- End every session of a user (deactivation, password change).
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE revoked_at IS NULL;

CREATE TABLE personal_tokens (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_prefix text NOT NULL CHECK (token_prefix LIKE 'pat\_%'),  -- shown in lists to tell tokens apart
  token_hash   text NOT NULL CHECK (length(token_hash) = 64),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  expires_at   timestamptz,
  revoked_at   timestamptz
);
-- Bearer pat_... authentication on every request.
CREATE UNIQUE INDEX personal_tokens_hash_key ON personal_tokens (token_hash);
-- GET /auth/tokens: my tokens.
CREATE INDEX personal_tokens_user_idx ON personal_tokens (user_id, id);

-- One row per granted scope (a token has a set of scopes; a list in a column would break 1NF).
CREATE TABLE personal_token_scopes (
  token_id bigint NOT NULL REFERENCES personal_tokens (id) ON DELETE CASCADE,
  scope    text NOT NULL CHECK (scope ~ '^[a-z_]+(:[a-z_]+)?$'),
  PRIMARY KEY (token_id, scope)  -- scope check on authentication
);

CREATE TABLE oidc_identities (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider      text NOT NULL CHECK (length(provider) BETWEEN 1 AND 64),
  subject       text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
  email         text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz
);
-- OIDC callback: find the account linked to (issuer, sub).
CREATE UNIQUE INDEX oidc_identities_provider_subject_key ON oidc_identities (provider, subject);
-- FK support; listing a user's linked providers.
CREATE INDEX oidc_identities_user_idx ON oidc_identities (user_id);

-- In-flight OIDC logins: state, nonce and PKCE verifier between /login and /callback.
CREATE TABLE oidc_login_states (
  state_hash    text PRIMARY KEY CHECK (length(state_hash) = 64),  -- callback lookup by state
  provider      text NOT NULL,
  nonce         text NOT NULL,
  code_verifier text NOT NULL CHECK (length(code_verifier) BETWEEN 43 AND 128),
  redirect_to   text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL
);
-- Purge of expired states.
CREATE INDEX oidc_login_states_expires_idx ON oidc_login_states (expires_at);

CREATE TABLE password_reset_tokens (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL CHECK (length(token_hash) = 64),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at    timestamptz
);
-- POST /auth/password/reset/confirm: find the token.
CREATE UNIQUE INDEX password_reset_tokens_hash_key ON password_reset_tokens (token_hash);
-- FK support; invalidating a user's outstanding tokens when one is used.
CREATE INDEX password_reset_tokens_user_idx ON password_reset_tokens (user_id);

-- Idempotency-Key replays for writes other than messages (which use client_msg_id).
CREATE TABLE idempotency_keys (
  user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  request_hash  text NOT NULL CHECK (length(request_hash) = 64),
  status_code   integer NOT NULL CHECK (status_code BETWEEN 100 AND 599),
  response_body text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)  -- replay lookup
);
-- Purge of keys older than the retention window.
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- ---------------------------------------------------------------------------------------------
-- Conversations
-- ---------------------------------------------------------------------------------------------
CREATE TABLE conversations (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('direct', 'group', 'channel')),
  visibility  text NOT NULL DEFAULT 'private' CHECK (visibility IN ('public', 'private')),
  name        text CHECK (length(name) BETWEEN 1 AND 80),
  topic       text NOT NULL DEFAULT '' CHECK (length(topic) <= 250),
  created_by  bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  archived_at timestamptz,
  -- "<smaller user id>:<larger user id>" for direct conversations, NULL otherwise.
  direct_key  text CHECK (direct_key ~ '^[0-9]+:[0-9]+$'),
  CHECK ((kind = 'direct') = (direct_key IS NOT NULL)),
  CHECK (kind <> 'direct' OR visibility = 'private'),
  CHECK (kind <> 'channel' OR name IS NOT NULL)
);
-- POST /conversations kind=direct: the existing conversation of the pair (and its uniqueness).
CREATE UNIQUE INDEX conversations_direct_key ON conversations (direct_key) WHERE direct_key IS NOT NULL;
-- GET /conversations/browse: public channels, not archived, by name.
CREATE INDEX conversations_public_idx ON conversations (name) WHERE visibility = 'public' AND archived_at IS NULL;

CREATE TABLE conversation_members (
  conversation_id      bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  user_id              bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role                 text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
  joined_at            timestamptz NOT NULL DEFAULT now(),
  last_read_message_id bigint,  -- FK added after messages exists
  muted                boolean NOT NULL DEFAULT false,
  banned_at            timestamptz,
  PRIMARY KEY (conversation_id, user_id)  -- membership check on every conversation request; member list
);
-- GET /conversations, /unread: the conversations of one user.
CREATE INDEX conversation_members_user_idx ON conversation_members (user_id, conversation_id) WHERE banned_at IS NULL;

-- ---------------------------------------------------------------------------------------------
-- Messages
-- ---------------------------------------------------------------------------------------------
CREATE TABLE messages (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- monotonic: pagination cursor
  conversation_id    bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  -- Users are deactivated, not deleted, while they have messages.
  sender_id          bigint NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  parent_id          bigint REFERENCES messages (id) ON DELETE CASCADE,
  body               text NOT NULL CHECK (char_length(body) <= 10000),
  html               text NOT NULL,
  mentions_everyone  boolean NOT NULL DEFAULT false,  -- @channel / @here
  client_msg_id      text CHECK (length(client_msg_id) BETWEEN 1 AND 64),
  reply_count        integer NOT NULL DEFAULT 0 CHECK (reply_count >= 0),
  last_reply_at      timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  edited_at          timestamptz,
  deleted_at         timestamptz,
  search_vector      tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED,
  CHECK (parent_id IS NULL OR parent_id <> id),
  CHECK (deleted_at IS NULL OR (body = '' AND html = '')),
  CHECK ((reply_count = 0) = (last_reply_at IS NULL))
);
-- POST /conversations/{id}/messages with client_msg_id: a retry returns the original message.
CREATE UNIQUE INDEX messages_sender_client_msg_key ON messages (sender_id, client_msg_id) WHERE client_msg_id IS NOT NULL;
-- GET /conversations/{id}/messages (top level, before/after/around cursors), last_message of a
-- conversation, unread counts (id > last_read_message_id).
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id) WHERE parent_id IS NULL;
-- GET /conversations/{id}/messages?parent_id=: a thread, oldest first.
CREATE INDEX messages_thread_idx ON messages (parent_id, id) WHERE parent_id IS NOT NULL;
-- GET /conversations/{id}/messages?sender= and /search?sender=.
CREATE INDEX messages_conversation_sender_idx ON messages (conversation_id, sender_id, id);
-- GET /conversations/{id}/messages?since=&until=.
CREATE INDEX messages_conversation_created_idx ON messages (conversation_id, created_at);
-- GET /search: full-text match over bodies.
CREATE INDEX messages_search_idx ON messages USING gin (search_vector);

ALTER TABLE conversation_members
  ADD CONSTRAINT conversation_members_last_read_fkey
  FOREIGN KEY (last_read_message_id) REFERENCES messages (id) ON DELETE SET NULL;

CREATE TABLE message_edits (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id    bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  editor_id     bigint NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  previous_body text NOT NULL,
  previous_html text NOT NULL,
  edited_at     timestamptz NOT NULL DEFAULT now()
);
-- GET /messages/{id}/history.
CREATE INDEX message_edits_message_idx ON message_edits (message_id, id);

CREATE TABLE reactions (
  message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  emoji      text NOT NULL CHECK (length(emoji) BETWEEN 1 AND 64),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (message_id, emoji, user_id)  -- idempotent PUT/DELETE; counts per emoji of a page
);
-- FK support for user deletion.
CREATE INDEX reactions_user_idx ON reactions (user_id);

CREATE TABLE mentions (
  message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (message_id, user_id)  -- mentions of a page of messages
);
-- GET /unread mention_count: my mentions after my read marker.
CREATE INDEX mentions_user_idx ON mentions (user_id, message_id);

CREATE TABLE attachments (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  uploader_id  bigint NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  filename     text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255 AND position('/' IN filename) = 0),
  content_type text NOT NULL CHECK (content_type LIKE '%/%'),
  size         bigint NOT NULL CHECK (size >= 0),
  sha256       text NOT NULL CHECK (length(sha256) = 64),
  storage_key  text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
-- Blob store lookups and garbage collection of unreferenced blobs.
CREATE UNIQUE INDEX attachments_storage_key ON attachments (storage_key);
-- FK support; a user's uploads.
CREATE INDEX attachments_uploader_idx ON attachments (uploader_id, id);

CREATE TABLE message_attachments (
  message_id    bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  attachment_id bigint NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
  position      integer NOT NULL DEFAULT 0 CHECK (position >= 0),
  PRIMARY KEY (message_id, attachment_id)  -- attachments of a page of messages
);
-- GET /uploads/{id}/...: the conversations an attachment was posted in (download permission).
CREATE INDEX message_attachments_attachment_idx ON message_attachments (attachment_id);

-- ---------------------------------------------------------------------------------------------
-- Real-time event log (per user, for resume after reconnect)
-- ---------------------------------------------------------------------------------------------
-- The last event id handed out per user: UPDATE ... RETURNING takes the row lock, so concurrent
-- writers get distinct, increasing ids without a gap-prone sequence per user.
CREATE TABLE user_event_counters (
  user_id       bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  last_event_id bigint NOT NULL DEFAULT 0 CHECK (last_event_id >= 0)
);

CREATE TABLE user_events (
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  event_id   bigint NOT NULL CHECK (event_id > 0),
  type       text NOT NULL CHECK (type ~ '^[a-z_]+(\.[a-z_]+)?$'),
  payload    jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, event_id)  -- replay: events of a user after last_event_id
);
-- Retention purge of old events.
CREATE INDEX user_events_created_idx ON user_events (created_at);

-- ---------------------------------------------------------------------------------------------
-- Webhooks
-- ---------------------------------------------------------------------------------------------
CREATE TABLE webhooks (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  conversation_id   bigint REFERENCES conversations (id) ON DELETE CASCADE,  -- NULL: every conversation the owner sees
  url               text NOT NULL CHECK (url ~ '^https?://'),
  secret_ciphertext text NOT NULL,  -- HMAC key, encrypted with the server secret
  is_active         boolean NOT NULL DEFAULT true,
  created_at        timestamptz NOT NULL DEFAULT now()
);
-- GET /webhooks: mine.
CREATE INDEX webhooks_owner_idx ON webhooks (owner_id, id);
-- Dispatch: the active webhooks of a conversation.
CREATE INDEX webhooks_conversation_idx ON webhooks (conversation_id) WHERE is_active;

CREATE TABLE webhook_events (
  webhook_id bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_type text NOT NULL CHECK (event_type ~ '^[a-z_]+\.[a-z_]+$'),
  PRIMARY KEY (webhook_id, event_type)  -- subscribed event types of a webhook
);
-- Dispatch: the webhooks subscribed to an event type.
CREATE INDEX webhook_events_type_idx ON webhook_events (event_type, webhook_id);

CREATE TABLE webhook_deliveries (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_id       bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_type       text NOT NULL,
  payload          jsonb NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at  timestamptz,
  last_status_code integer CHECK (last_status_code BETWEEN 100 AND 599),
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
-- GET /webhooks/{id}/deliveries, newest first.
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);
-- Retry scheduler: due pending deliveries.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

-- Incoming webhooks: POST /hooks/{token} posts into a conversation as a bot user.
CREATE TABLE incoming_webhooks (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  bot_user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_by      bigint REFERENCES users (id) ON DELETE SET NULL,
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  token_hash      text NOT NULL CHECK (length(token_hash) = 64),
  created_at      timestamptz NOT NULL DEFAULT now(),
  revoked_at      timestamptz
);
-- POST /hooks/{token}: find the hook.
CREATE UNIQUE INDEX incoming_webhooks_token_key ON incoming_webhooks (token_hash);
-- FK support; hooks of a conversation.
CREATE INDEX incoming_webhooks_conversation_idx ON incoming_webhooks (conversation_id);
-- FK support for bot deletion.
CREATE INDEX incoming_webhooks_bot_idx ON incoming_webhooks (bot_user_id);

-- ---------------------------------------------------------------------------------------------
-- Jobs (the database broker and the transactional outbox)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE jobs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  queue        text NOT NULL CHECK (queue ~ '^[a-z_]+$'),
  kind         text NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
  payload      jsonb NOT NULL,
  status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'dead')),
  attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts integer NOT NULL DEFAULT 10 CHECK (max_attempts > 0),
  run_at       timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  locked_by    text,
  last_error   text,
  dedupe_key   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  CHECK ((status = 'running') = (locked_until IS NOT NULL))
);
-- Worker claim: SELECT ... WHERE queue = $1 AND status = 'queued' AND run_at <= now()
-- ORDER BY run_at FOR UPDATE SKIP LOCKED.
CREATE INDEX jobs_claim_idx ON jobs (queue, run_at) WHERE status = 'queued';
-- Reaper: running jobs whose lock expired (crashed worker).
CREATE INDEX jobs_locked_idx ON jobs (locked_until) WHERE status = 'running';
-- GET /admin/jobs/dead.
CREATE INDEX jobs_dead_idx ON jobs (queue, id) WHERE status = 'dead';
-- Enqueue-once: a job with a dedupe key exists at most once until it finishes.
CREATE UNIQUE INDEX jobs_dedupe_key ON jobs (queue, dedupe_key) WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running');

-- ---------------------------------------------------------------------------------------------
-- Audit, analytics, IP rules
-- ---------------------------------------------------------------------------------------------
CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  actor_id    bigint REFERENCES users (id) ON DELETE SET NULL,
  action      text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
  target_type text CHECK (target_type IN ('user', 'conversation', 'message', 'webhook', 'token', 'ip_rule', 'job')),
  target_id   bigint,
  ip          inet,
  request_id  text,
  details     jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((target_type IS NULL) = (target_id IS NULL))
);
-- GET /admin/audit-log?actor=: what one person did, newest first.
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id);
-- GET /admin/audit-log?target=: what was done to one object.
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, id);
-- GET /admin/audit-log?from=&to=: time window.
CREATE INDEX audit_log_created_idx ON audit_log (created_at);

-- Raw analytics events, partitioned by month so old months are dropped (not deleted row by row)
-- and rollups scan one partition. parley_ensure_analytics_partitions() creates the months ahead;
-- the default partition catches anything outside them so an insert never fails.
CREATE TABLE analytics_events (
  id          bigint GENERATED BY DEFAULT AS IDENTITY,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  name        text NOT NULL CHECK (name ~ '^[a-z_]+$'),
  user_id     bigint REFERENCES users (id) ON DELETE SET NULL,
  status_code integer CHECK (status_code BETWEEN 100 AND 599),
  duration_ms double precision CHECK (duration_ms >= 0),
  properties  jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (occurred_at, id)  -- includes the partition key, as PostgreSQL requires
) PARTITION BY RANGE (occurred_at);
CREATE TABLE analytics_events_default PARTITION OF analytics_events DEFAULT;
-- Daily rollup job: events of one name in a day.
CREATE INDEX analytics_events_name_idx ON analytics_events (name, occurred_at);

CREATE FUNCTION parley_ensure_analytics_partitions(months_ahead integer) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  month_start date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
  i integer;
  lo date;
  hi date;
BEGIN
  FOR i IN 0..months_ahead LOOP
    lo := month_start + make_interval(months => i);
    hi := lo + interval '1 month';
    EXECUTE format(
      'CREATE TABLE IF NOT EXISTS %I PARTITION OF analytics_events FOR VALUES FROM (%L) TO (%L)',
      'analytics_events_' || to_char(lo, 'YYYY_MM'), lo::timestamp AT TIME ZONE 'UTC', hi::timestamp AT TIME ZONE 'UTC');  -- UTC month bounds
  END LOOP;
END
$fn$;
SELECT parley_ensure_analytics_partitions(2);

CREATE TABLE analytics_daily (
  day    date NOT NULL,
  metric text NOT NULL CHECK (metric IN ('active_users', 'messages', 'signups', 'errors', 'requests', 'p95_latency_ms')),
  value  double precision NOT NULL CHECK (value >= 0),
  PRIMARY KEY (day, metric)  -- GET /admin/analytics/daily and /summary?from=&to=
);

CREATE TABLE ip_rules (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  cidr       cidr NOT NULL,
  action     text NOT NULL CHECK (action IN ('allow', 'deny')),
  note       text NOT NULL DEFAULT '',
  created_by bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  CHECK (expires_at IS NULL OR expires_at > created_at)
);
-- No index beyond the key: the middleware loads every unexpired rule into memory (a few hundred
-- rows at most) and matches there; GET /admin/ip-rules reads them all too.
