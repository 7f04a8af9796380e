-- Usage analytics (docs/analytics.md); see migrations/postgres/0008_analytics.sql for the reasons.
-- SQLite changes a CHECK by rebuilding the table.
CREATE TABLE analytics_daily_new (
  day         TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  metric      TEXT NOT NULL CHECK (metric IN ('active_users', 'messages', 'signups', 'logins', 'conversations',
                                              'uploads', 'searches', 'errors', 'requests', 'p95_latency_ms')),
  value       REAL NOT NULL CHECK (value >= 0),
  computed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (day, metric)  -- GET /admin/analytics/daily and /summary?from=&to=
);
INSERT INTO analytics_daily_new (day, metric, value) SELECT day, metric, value FROM analytics_daily;
DROP TABLE analytics_daily;
ALTER TABLE analytics_daily_new RENAME TO analytics_daily;

CREATE TABLE analytics_latency (
  day      TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  bucket   INTEGER NOT NULL CHECK (bucket >= 0),
  requests INTEGER NOT NULL CHECK (requests >= 0),
  PRIMARY KEY (day, bucket)
);
