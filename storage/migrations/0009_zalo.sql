-- Zalo Official Account: the durable inbox of webhook events (stored before Zalo gets its 200,
-- processed afterwards; the event key makes a repeated webhook a no-op), the OA's followers with
-- what Zalo's sending rules need (follow state, last interaction, consultation messages sent
-- since), the short tokens that stand for button data, and the OAuth tokens (one row).
CREATE TABLE zalo_inbox (
    event_key     TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    received_at   TEXT NOT NULL,
    processed_at  TEXT,
    last_error    TEXT
);

CREATE INDEX zalo_inbox_pending ON zalo_inbox (status, received_at);

CREATE TABLE zalo_followers (
    user_id           TEXT PRIMARY KEY,
    followed          INTEGER NOT NULL DEFAULT 1,
    last_interaction  TEXT,
    cs_sent           INTEGER NOT NULL DEFAULT 0,
    choices           TEXT,
    updated_at        TEXT NOT NULL
);

CREATE TABLE zalo_buttons (
    token       TEXT PRIMARY KEY,
    data        TEXT NOT NULL,
    label       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE zalo_tokens (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    access_token   TEXT NOT NULL,
    refresh_token  TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    refreshed_at   TEXT NOT NULL,
    seed           TEXT
);
