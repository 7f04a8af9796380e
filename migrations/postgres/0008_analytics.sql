-- Usage analytics (docs/analytics.md) on the tables of 0001: analytics_events is written in batches
-- by the analytics middleware's recorder (name = signup, login, active, message_sent,
-- conversation_created, upload, search, error); the daily rollup gains the counts of those events
-- and the time it was computed; request latencies get a histogram per day.

ALTER TABLE analytics_daily DROP CONSTRAINT analytics_daily_metric_check;
ALTER TABLE analytics_daily ADD CONSTRAINT analytics_daily_metric_check
  CHECK (metric IN ('active_users', 'messages', 'signups', 'logins', 'conversations', 'uploads', 'searches', 'errors',
                    'requests', 'p95_latency_ms'));
ALTER TABLE analytics_daily ADD COLUMN computed_at timestamptz NOT NULL DEFAULT now();

-- Requests answered per UTC day and latency bucket (analytics/latency_buckets.hpp): replicas add
-- their counts, so a day's (or a range's) percentiles cover every replica, at a few rows a day
-- instead of a row per request.
CREATE TABLE analytics_latency (
  day      date NOT NULL,
  bucket   smallint NOT NULL CHECK (bucket >= 0),
  requests bigint NOT NULL CHECK (requests >= 0),
  PRIMARY KEY (day, bucket)  -- the rollup of a day; the summary of a range
);
