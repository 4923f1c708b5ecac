-- Issue 21: questions handed to an officer (tickets "HT-12/2026") and the messages both ways.
-- The person's chat is unlinked (NULL), the texts, photos and context emptied when they erase
-- their data: the office keeps an anonymised record (number, times, who answered).
CREATE TABLE tickets (
    id                INTEGER PRIMARY KEY,
    year              INTEGER NOT NULL,
    seq               INTEGER NOT NULL,
    number            TEXT NOT NULL,
    channel           TEXT,
    chat_id           TEXT,
    status            TEXT NOT NULL,
    context           TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    last_activity_at  TEXT NOT NULL,
    officer_channel   TEXT,
    officer_id        TEXT,
    officer_name      TEXT,
    claimed_at        TEXT,
    first_answer_at   TEXT,
    closed_at         TEXT,
    closed_by         TEXT,
    UNIQUE (year, seq)
);

-- One open ticket per chat, whatever races: a second "open" is refused by the database.
CREATE UNIQUE INDEX tickets_one_open_per_chat ON tickets (channel, chat_id) WHERE status = 'open';

CREATE INDEX tickets_by_status ON tickets (status, created_at);

CREATE INDEX tickets_by_time ON tickets (created_at);

CREATE TABLE ticket_messages (
    id               INTEGER PRIMARY KEY,
    ticket_id        INTEGER NOT NULL REFERENCES tickets (id),
    author           TEXT NOT NULL,
    officer_channel  TEXT,
    officer_id       TEXT,
    officer_name     TEXT,
    text             TEXT NOT NULL,
    photo            BLOB,
    photo_name       TEXT,
    photo_type       TEXT,
    at               TEXT NOT NULL
);

CREATE INDEX ticket_messages_by_ticket ON ticket_messages (ticket_id, id);
