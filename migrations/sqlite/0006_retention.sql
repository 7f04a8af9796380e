-- The retention jobs (docs/jobs.md, "Tasks"): deleted messages purged after
-- PARLEY_DELETED_MESSAGE_RETENTION, and uploads no message carries after PARLEY_UPLOAD_ORPHAN_AGE.

-- messages.purge_deleted: the tombstones, oldest first.
CREATE INDEX messages_deleted_idx ON messages (deleted_at) WHERE deleted_at IS NOT NULL;
-- ... whether a read marker points at one (also serves the foreign key's ON DELETE SET NULL,
-- which scanned every membership for each deleted message).
CREATE INDEX conversation_members_last_read_idx ON conversation_members (last_read_message_id)
  WHERE last_read_message_id IS NOT NULL;
-- uploads.purge_orphans: old uploads first.
CREATE INDEX attachments_created_idx ON attachments (created_at);
