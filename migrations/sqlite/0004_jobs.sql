-- Background jobs (docs/jobs.md): the database broker and the transactional outbox. See
-- migrations/postgres/0004_jobs.sql for the reasons; SQLite has one writer, so claims need no
-- SKIP LOCKED.
DROP TABLE jobs;

CREATE TABLE jobs (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  queue        TEXT NOT NULL CHECK (length(queue) BETWEEN 1 AND 64 AND queue NOT GLOB '*[^a-z_]*'),
  task         TEXT NOT NULL CHECK (length(task) BETWEEN 1 AND 100 AND task NOT GLOB '*[^a-z_.]*'),
  payload      TEXT NOT NULL CHECK (json_valid(payload)),
  priority     INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN -100 AND 100),
  status       TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'dead')),
  attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts INTEGER NOT NULL CHECK (max_attempts BETWEEN 1 AND 1000),
  backoff_ms   INTEGER NOT NULL CHECK (backoff_ms >= 0),
  timeout_ms   INTEGER NOT NULL CHECK (timeout_ms > 0),
  run_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  locked_until TEXT,
  locked_by    TEXT,
  last_error   TEXT,
  dedupe_key   TEXT CHECK (length(dedupe_key) BETWEEN 1 AND 200),
  created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  started_at   TEXT,
  finished_at  TEXT,
  CHECK ((status = 'running') = (locked_until IS NOT NULL AND locked_by IS NOT NULL))
);
CREATE INDEX jobs_claim_idx ON jobs (queue, priority DESC, run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_claim_any_idx ON jobs (priority DESC, run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_locked_idx ON jobs (locked_until) WHERE status = 'running';
CREATE INDEX jobs_locked_by_idx ON jobs (locked_by) WHERE status = 'running';
CREATE INDEX jobs_dead_idx ON jobs (id) WHERE status = 'dead';
CREATE UNIQUE INDEX jobs_dedupe_key ON jobs (dedupe_key) WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running');

CREATE TABLE job_effects (
  key        TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 200),
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX job_effects_created_idx ON job_effects (created_at);

CREATE TABLE scheduler_leases (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  fence      INTEGER NOT NULL CHECK (fence > 0),
  expires_at TEXT NOT NULL
);

CREATE TABLE schedule_runs (
  schedule   TEXT NOT NULL CHECK (length(schedule) BETWEEN 1 AND 64),
  fire_at    TEXT NOT NULL,
  fence      INTEGER NOT NULL,
  job_id     INTEGER,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  PRIMARY KEY (schedule, fire_at)
);
