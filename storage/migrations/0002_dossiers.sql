-- How many messages each chat sent (the first one gets the privacy notice).
ALTER TABLE chats ADD COLUMN messages INTEGER NOT NULL DEFAULT 0;

-- Dossiers imported from the one-stop software, their history, who follows them,
-- consents, the outbox of notifications, and failed lookups (to stop code guessing).
CREATE TABLE dossiers (
    code_key        TEXT PRIMARY KEY,
    code            TEXT NOT NULL,
    procedure_id    TEXT NOT NULL,
    applicant_name  TEXT NOT NULL,
    phone           TEXT,
    received_at     TEXT NOT NULL,
    due_date        TEXT NOT NULL,
    status          TEXT NOT NULL,
    return_method   TEXT,
    note            TEXT,
    row_hash        TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE INDEX dossiers_open_by_due ON dossiers (status, due_date);

CREATE TABLE dossier_events (
    id          INTEGER PRIMARY KEY,
    code_key    TEXT NOT NULL REFERENCES dossiers (code_key) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    old_status  TEXT,
    new_status  TEXT,
    old_due     TEXT,
    new_due     TEXT,
    note        TEXT,
    source      TEXT NOT NULL
);

CREATE INDEX dossier_events_by_dossier ON dossier_events (code_key, id);

CREATE TABLE follows (
    channel       TEXT NOT NULL,
    chat_id       TEXT NOT NULL,
    code_key      TEXT NOT NULL REFERENCES dossiers (code_key) ON DELETE CASCADE,
    label         TEXT,
    followed_at   TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (channel, chat_id, code_key)
);

CREATE INDEX follows_by_dossier ON follows (code_key);

CREATE TABLE consents (
    id           INTEGER PRIMARY KEY,
    channel      TEXT NOT NULL,
    chat_id      TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    detail       TEXT,
    granted_at   TEXT NOT NULL,
    withdrawn_at TEXT
);

CREATE INDEX consents_by_chat ON consents (channel, chat_id);

CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    dedupe_key       TEXT NOT NULL UNIQUE,
    channel          TEXT NOT NULL,
    chat_id          TEXT NOT NULL,
    kind             TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    sent_at          TEXT,
    message_id       TEXT,
    last_error       TEXT
);

CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_by_chat ON outbox (channel, chat_id);

CREATE TABLE lookup_failures (
    channel  TEXT NOT NULL,
    chat_id  TEXT NOT NULL,
    at       TEXT NOT NULL
);

CREATE INDEX lookup_failures_by_chat ON lookup_failures (channel, chat_id, at);
