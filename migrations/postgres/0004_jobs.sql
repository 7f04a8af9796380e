-- Background jobs (docs/jobs.md): the database broker and the transactional outbox.
--
-- A job is written by the action that causes it, in the action's own transaction: a rolled-back
-- action leaves no job, a committed one cannot be lost. Workers claim due jobs with
-- FOR UPDATE SKIP LOCKED, hold them under a lease they renew while running (locked_until), and
-- delete them once they succeed; a job whose worker died is taken back when its lease runs out.
-- The table of 0001 had no priority, backoff or timeout and was never used: it is replaced.
DROP TABLE jobs;

CREATE TABLE jobs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  queue        text NOT NULL CHECK (queue ~ '^[a-z_]{1,64}$'),
  task         text NOT NULL CHECK (task ~ '^[a-z_]+(\.[a-z_]+)*$' AND length(task) <= 100),
  payload      jsonb NOT NULL,
  priority     integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN -100 AND 100),
  status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'dead')),
  attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 1000),
  backoff_ms   bigint NOT NULL CHECK (backoff_ms >= 0),   -- first retry's delay; doubles per attempt
  timeout_ms   bigint NOT NULL CHECK (timeout_ms > 0),    -- one attempt's limit
  run_at       timestamptz NOT NULL DEFAULT now(),        -- not before (queued)
  locked_until timestamptz,                               -- the lease (running)
  locked_by    text,                                      -- the worker holding the lease
  last_error   text,
  dedupe_key   text CHECK (length(dedupe_key) BETWEEN 1 AND 200),
  created_at   timestamptz NOT NULL DEFAULT now(),
  started_at   timestamptz,
  finished_at  timestamptz,                               -- dead since
  CHECK ((status = 'running') = (locked_until IS NOT NULL AND locked_by IS NOT NULL))
);
-- Claim: due queued jobs of some queues, highest priority first, then oldest.
CREATE INDEX jobs_claim_idx ON jobs (queue, priority DESC, run_at, id) WHERE status = 'queued';
-- Claim from every queue (the default worker): the same order without the queue, so a claim
-- reads the first rows of the index instead of sorting every queued job.
CREATE INDEX jobs_claim_any_idx ON jobs (priority DESC, run_at, id) WHERE status = 'queued';
-- Reaper: running jobs whose lease ran out (a crashed worker); heartbeat and requeue by worker.
CREATE INDEX jobs_locked_idx ON jobs (locked_until) WHERE status = 'running';
CREATE INDEX jobs_locked_by_idx ON jobs (locked_by) WHERE status = 'running';
-- GET /admin/jobs/dead and the purge.
CREATE INDEX jobs_dead_idx ON jobs (id) WHERE status = 'dead';
-- Enqueue-once: a job with a dedupe key exists at most once until it finishes.
CREATE UNIQUE INDEX jobs_dedupe_key ON jobs (dedupe_key) WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running');

-- The effects of jobs that ran, by idempotency key: a task that writes to the database claims its
-- key in the same transaction as the write, so running the job twice has one effect.
CREATE TABLE job_effects (
  key        text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now()
);
-- Cleanup of old keys.
CREATE INDEX job_effects_created_idx ON job_effects (created_at);

-- The scheduler's leadership: one row per lease name; `fence` grows at every change of holder,
-- and a firing is written only while the writer's fence is the current one, so a deposed leader
-- that wakes up late cannot fire.
CREATE TABLE scheduler_leases (
  name       text PRIMARY KEY,
  holder     text NOT NULL,
  fence      bigint NOT NULL CHECK (fence > 0),
  expires_at timestamptz NOT NULL
);

-- Each firing of each schedule, once: the primary key makes a second firing of the same run a no-op.
CREATE TABLE schedule_runs (
  schedule   text NOT NULL CHECK (length(schedule) BETWEEN 1 AND 64),
  fire_at    timestamptz NOT NULL,
  fence      bigint NOT NULL,
  job_id     bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (schedule, fire_at)
);
