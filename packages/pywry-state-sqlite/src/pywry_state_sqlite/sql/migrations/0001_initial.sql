-- Version 1: every table of the SQLite state backend.
-- Times are Unix seconds (REAL) so that every process on the host agrees on them.
-- A row whose expires_at is in the past is treated as absent and deleted by the sweeper.

CREATE TABLE widgets (
    widget_id  TEXT PRIMARY KEY,
    fields     TEXT NOT NULL,            -- JSON object of the record's string fields
    expires_at REAL NOT NULL
);
CREATE INDEX widgets_by_expiry ON widgets (expires_at);

CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,
    fields     TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE connections (
    connection_id TEXT PRIMARY KEY,
    widget_id     TEXT NOT NULL,
    worker_id     TEXT NOT NULL,
    fields        TEXT NOT NULL,
    expires_at    REAL NOT NULL
);
CREATE INDEX connections_by_widget ON connections (widget_id);
CREATE INDEX connections_by_worker ON connections (worker_id);
CREATE INDEX connections_by_expiry ON connections (expires_at);

CREATE TABLE owners (
    widget_id  TEXT PRIMARY KEY,
    worker_id  TEXT NOT NULL,
    expires_at REAL NOT NULL
);

CREATE TABLE workers (
    worker_id  TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
);

-- The event bus: publishers append, subscribers in every process poll for id > cursor.
-- AUTOINCREMENT keeps ids increasing even after the sweeper deletes old rows.
CREATE TABLE bus (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    channel    TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX bus_by_age ON bus (created_at);

-- Replay logs: one head row per widget (its last seq and expiry) and its entries.
CREATE TABLE replay_heads (
    widget_id  TEXT PRIMARY KEY,
    last_seq   INTEGER NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE replay_entries (
    widget_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    payload   TEXT NOT NULL,
    PRIMARY KEY (widget_id, seq)
) WITHOUT ROWID;

CREATE TABLE claims (
    claim_key  TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
);
