-- Single-use tickets for browser WebSocket connects (POST /api/v1/realtime/ticket): a browser
-- cannot set an Authorization header on a WebSocket, and a ticket in the URL is safer than a
-- token there (it dies on first use and after 30 seconds). Only the SHA-256 of a ticket is kept.
-- In the database rather than in memory, so a ticket issued by one replica works on another.
CREATE TABLE realtime_tickets (
  token_hash text PRIMARY KEY CHECK (length(token_hash) = 64),
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL
);
CREATE INDEX realtime_tickets_expires_idx ON realtime_tickets (expires_at);
