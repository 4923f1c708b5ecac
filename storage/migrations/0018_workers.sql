-- Issue 18: several worker processes on one PostgreSQL database.
-- The inbox: Telegram's updates as they arrive (webhook or the one long poller), kept until a
-- worker has handled them; the update id makes a redelivery a no-op. Zalo's events keep their
-- own inbox (zalo_inbox, 0009). Workers take a chat's messages one at a time, in arrival order,
-- under a lease on the chat (leases): whoever holds "chat/<channel>/<id>" handles that chat
-- until its lease expires; "sender/<channel>" is the one process sending that channel's
-- outbox (the platform's rate holds across processes).
CREATE TABLE inbox (
    id            INTEGER PRIMARY KEY,
    channel       TEXT NOT NULL,
    event_id      TEXT NOT NULL,
    chat_id       TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    received_at   TEXT NOT NULL,
    processed_at  TEXT,
    last_error    TEXT,
    UNIQUE (channel, event_id)
);

CREATE INDEX inbox_pending ON inbox (status, id);

CREATE INDEX inbox_by_chat ON inbox (channel, chat_id, status, id);

CREATE INDEX inbox_handled ON inbox (status, received_at);

CREATE INDEX zalo_inbox_by_user ON zalo_inbox (user_id, status, received_at);

CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

CREATE INDEX leases_by_holder ON leases (holder);
