-- Every statement the backend runs, by name (loaded by _sql.py).
-- A "-- name: x" line starts the statement called x; it runs to the next name line.
-- Parameters are named (:now, :ttl, ...); no value is ever formatted into the text.

-- name: ping
SELECT 1;

-- name: schema_version_create
CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    applied_at REAL NOT NULL
);

-- name: schema_version_current
SELECT coalesce(max(version), 0) FROM schema_version;

-- name: schema_version_record
INSERT INTO schema_version (version, applied_at) VALUES (:version, :now);

-- name: widget_put
INSERT INTO widgets (widget_id, fields, expires_at) VALUES (:id, :fields, :now + :ttl)
ON CONFLICT (widget_id) DO UPDATE SET fields = excluded.fields, expires_at = excluded.expires_at;

-- name: widget_get
SELECT fields FROM widgets WHERE widget_id = :id AND expires_at > :now;

-- name: widget_touch
UPDATE widgets SET expires_at = :now + :ttl WHERE widget_id = :id AND expires_at > :now;

-- name: widget_remove
DELETE FROM widgets WHERE widget_id = :id RETURNING expires_at > :now;

-- name: widget_active
SELECT widget_id FROM widgets WHERE expires_at > :now;

-- name: session_put
INSERT INTO sessions (session_id, fields, expires_at) VALUES (:id, :fields, :now + :ttl)
ON CONFLICT (session_id) DO UPDATE SET fields = excluded.fields, expires_at = excluded.expires_at;

-- name: session_get
SELECT fields FROM sessions WHERE session_id = :id AND expires_at > :now;

-- name: session_touch
UPDATE sessions SET expires_at = :now + :ttl WHERE session_id = :id AND expires_at > :now;

-- name: session_remove
DELETE FROM sessions WHERE session_id = :id RETURNING expires_at > :now;

-- name: connection_put
INSERT INTO connections (connection_id, widget_id, worker_id, fields, expires_at)
VALUES (:id, :widget_id, :worker_id, :fields, :now + :ttl)
ON CONFLICT (connection_id) DO UPDATE SET
    widget_id = excluded.widget_id,
    worker_id = excluded.worker_id,
    fields = excluded.fields,
    expires_at = excluded.expires_at;

-- name: connection_get
SELECT fields FROM connections WHERE connection_id = :id AND expires_at > :now;

-- name: connection_refresh
UPDATE connections SET expires_at = :now + :ttl WHERE connection_id = :id AND expires_at > :now;

-- name: connection_remove
DELETE FROM connections WHERE connection_id = :id RETURNING expires_at > :now;

-- name: owner_set
INSERT INTO owners (widget_id, worker_id, expires_at) VALUES (:id, :worker_id, :now + :ttl)
ON CONFLICT (widget_id) DO UPDATE SET
    worker_id = excluded.worker_id,
    expires_at = excluded.expires_at;

-- name: owner_get
SELECT worker_id FROM owners WHERE widget_id = :id AND expires_at > :now;

-- name: owner_clear
DELETE FROM owners WHERE widget_id = :id RETURNING expires_at > :now;

-- name: worker_beat
INSERT INTO workers (worker_id, expires_at) VALUES (:id, :now + :ttl)
ON CONFLICT (worker_id) DO UPDATE SET expires_at = excluded.expires_at;

-- name: workers_alive
SELECT worker_id FROM workers WHERE expires_at > :now;

-- name: worker_alive
SELECT 1 FROM workers WHERE worker_id = :id AND expires_at > :now;

-- name: worker_remove
DELETE FROM workers WHERE worker_id = :id RETURNING expires_at > :now;

-- name: bus_publish
INSERT INTO bus (channel, payload, created_at) VALUES (:channel, :payload, :now);

-- name: bus_head
SELECT coalesce(max(id), 0) FROM bus;

-- name: bus_after
-- Every newer row's id (so the cursor always advances), payloads only where subscribed.
SELECT id, channel,
       CASE WHEN channel IN (SELECT value FROM json_each(:channels)) THEN payload END
FROM bus
WHERE id > :after
ORDER BY id
LIMIT :limit;

-- name: replay_head
SELECT last_seq FROM replay_heads WHERE widget_id = :id AND expires_at > :now;

-- name: replay_reset
DELETE FROM replay_entries WHERE widget_id = :id;

-- name: replay_head_put
INSERT INTO replay_heads (widget_id, last_seq, expires_at) VALUES (:id, :seq, :now + :ttl)
ON CONFLICT (widget_id) DO UPDATE SET
    last_seq = excluded.last_seq,
    expires_at = excluded.expires_at;

-- name: replay_entry_put
INSERT INTO replay_entries (widget_id, seq, payload, append_key)
VALUES (:id, :seq, :payload, :key);

-- name: replay_seq_of_key
SELECT seq FROM replay_entries WHERE widget_id = :id AND append_key = :key;

-- name: replay_trim
DELETE FROM replay_entries WHERE widget_id = :id AND seq <= :seq - :maxlen;

-- name: replay_since
SELECT e.payload FROM replay_entries AS e
JOIN replay_heads AS h ON h.widget_id = e.widget_id
WHERE e.widget_id = :id AND e.seq > :after AND h.expires_at > :now
ORDER BY e.seq;

-- name: claim_drop_expired
DELETE FROM claims WHERE claim_key = :key AND expires_at <= :now;

-- name: claim_take
INSERT OR IGNORE INTO claims (claim_key, expires_at) VALUES (:key, :now + :ttl);

-- name: sweep_widgets
DELETE FROM widgets WHERE expires_at <= :now;

-- name: sweep_sessions
DELETE FROM sessions WHERE expires_at <= :now;

-- name: sweep_connections
DELETE FROM connections WHERE expires_at <= :now;

-- name: sweep_owners
DELETE FROM owners WHERE expires_at <= :now;

-- name: sweep_workers
DELETE FROM workers WHERE expires_at <= :now;

-- name: sweep_claims
DELETE FROM claims WHERE expires_at <= :now;

-- name: sweep_replay_entries
DELETE FROM replay_entries
WHERE widget_id IN (SELECT widget_id FROM replay_heads WHERE expires_at <= :now);

-- name: sweep_replay_heads
DELETE FROM replay_heads WHERE expires_at <= :now;

-- name: sweep_bus
DELETE FROM bus WHERE created_at <= :now - :retention;

-- name: blob_put
INSERT INTO blobs (blob_id, idx, data, expires_at) VALUES (:id, :idx, :data, :now + :ttl)
ON CONFLICT (blob_id, idx) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at;

-- name: blob_get
SELECT data FROM blobs WHERE blob_id = :id AND idx = :idx AND expires_at > :now;

-- name: blob_delete
DELETE FROM blobs WHERE blob_id = :id AND idx < :chunks;

-- name: key_offer
INSERT INTO deployment_keys (name, value) VALUES (:key_name, :value) ON CONFLICT (name) DO NOTHING;

-- name: key_get
SELECT value FROM deployment_keys WHERE name = :key_name;

-- name: sweep_blobs
DELETE FROM blobs WHERE expires_at <= :now;
