-- Files in chunks (downloads): one row per chunk, expiring; deleted by the sweeper.
CREATE TABLE blobs (
    blob_id    TEXT NOT NULL,
    idx        INTEGER NOT NULL,
    data       BLOB NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (blob_id, idx)
) WITHOUT ROWID;
CREATE INDEX blobs_by_expiry ON blobs (expires_at);

-- Keys created once per deployment (the download signing key); never expire.
CREATE TABLE deployment_keys (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
