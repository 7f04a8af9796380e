-- Single-use tickets for browser WebSocket connects; see migrations/postgres/0003_realtime_tickets.sql.
CREATE TABLE realtime_tickets (
  token_hash TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX realtime_tickets_expires_idx ON realtime_tickets (expires_at);
