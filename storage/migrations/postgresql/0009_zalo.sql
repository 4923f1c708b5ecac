-- PostgreSQL's 0009 (storage/migrate.py): the translation of ../0009_zalo.sql, and the
-- column that orders the inbox by arrival.
-- Zalo Official Account: the durable inbox of webhook events (stored before Zalo gets its 200,
-- processed afterwards; the event key makes a repeated webhook a no-op), the OA's followers with
-- what Zalo's sending rules need (follow state, last interaction, consultation messages sent
-- since), the short tokens that stand for button data, and the OAuth tokens (one row).
CREATE TABLE zalo_inbox (
    -- The order of arrival (SQLite orders by its rowid; PostgreSQL has none).
    arrival       BIGINT GENERATED ALWAYS AS IDENTITY,
    event_key     TEXT COLLATE "C" PRIMARY KEY,
    user_id       TEXT COLLATE "C" NOT NULL,
    payload       TEXT COLLATE "C" NOT NULL,
    status        TEXT COLLATE "C" NOT NULL DEFAULT 'pending',
    received_at   TEXT COLLATE "C" NOT NULL,
    processed_at  TEXT COLLATE "C",
    last_error    TEXT COLLATE "C"
);

CREATE INDEX zalo_inbox_pending ON zalo_inbox (status, received_at);

CREATE TABLE zalo_followers (
    user_id           TEXT COLLATE "C" PRIMARY KEY,
    followed          BIGINT NOT NULL DEFAULT 1,
    last_interaction  TEXT COLLATE "C",
    cs_sent           BIGINT NOT NULL DEFAULT 0,
    choices           TEXT COLLATE "C",
    updated_at        TEXT COLLATE "C" NOT NULL
);

CREATE TABLE zalo_buttons (
    token       TEXT COLLATE "C" PRIMARY KEY,
    data        TEXT COLLATE "C" NOT NULL,
    label       TEXT COLLATE "C" NOT NULL,
    created_at  TEXT COLLATE "C" NOT NULL
);

CREATE TABLE zalo_tokens (
    id             BIGINT PRIMARY KEY CHECK (id = 1),
    access_token   TEXT COLLATE "C" NOT NULL,
    refresh_token  TEXT COLLATE "C" NOT NULL,
    expires_at     TEXT COLLATE "C" NOT NULL,
    refreshed_at   TEXT COLLATE "C" NOT NULL,
    seed           TEXT COLLATE "C"
);
