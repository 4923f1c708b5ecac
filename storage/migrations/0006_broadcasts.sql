-- Subscriptions to the office's notices (per chat: every notice '*', or one field's slug),
-- broadcasts, and what the outbox needs for them: which broadcast a row belongs to (progress,
-- cancelling) and a priority, so that a big broadcast never delays a dossier's own messages.
CREATE TABLE subscriptions (
    channel        TEXT NOT NULL,
    chat_id        TEXT NOT NULL,
    topic          TEXT NOT NULL,
    subscribed_at  TEXT NOT NULL,
    active         INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (channel, chat_id, topic)
);

CREATE INDEX subscriptions_by_topic ON subscriptions (topic, active);

CREATE TABLE broadcasts (
    id            INTEGER PRIMARY KEY,
    text          TEXT NOT NULL,
    topic         TEXT NOT NULL,
    procedure_id  TEXT,
    channel       TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    creator_name  TEXT,
    report_chat   TEXT,
    created_at    TEXT NOT NULL,
    recipients    INTEGER NOT NULL,
    cancelled_at  TEXT,
    reported_at   TEXT
);

ALTER TABLE outbox ADD COLUMN broadcast_id INTEGER;

ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;

CREATE INDEX outbox_by_broadcast ON outbox (broadcast_id, status);

DROP INDEX outbox_due;

CREATE INDEX outbox_due ON outbox (status, priority, next_attempt_at);
