-- Idempotency keys of appends (events.append(..., key=...)): a retried append whose key
-- is still logged returns that entry's seq. A key lives and dies with its entry.
ALTER TABLE replay_entries ADD COLUMN append_key TEXT;
CREATE INDEX replay_entries_by_key ON replay_entries (widget_id, append_key)
    WHERE append_key IS NOT NULL;
