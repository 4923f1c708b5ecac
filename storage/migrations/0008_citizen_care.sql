-- Issue 7: satisfaction ratings of returned dossiers, feedback on the rules (phản ánh, kiến
-- nghị) with the office's answers, and volunteers (tổ công nghệ số cộng đồng) approved by an
-- officer to follow dossiers on elders' behalf.

-- One rating per dossier and chat; the chat is unlinked (NULL) when the person erases their data,
-- the scores stay for the report. Scores are 2/1/0 per indicator (TT 01/2018 Điều 12–15).
CREATE TABLE ratings (
    id        INTEGER PRIMARY KEY,
    code_key  TEXT NOT NULL,
    channel   TEXT,
    chat_id   TEXT,
    on_time   INTEGER NOT NULL,
    trips     INTEGER NOT NULL,
    attitude  INTEGER NOT NULL,
    rated_at  TEXT NOT NULL,
    UNIQUE (code_key, channel, chat_id)
);

CREATE INDEX ratings_by_time ON ratings (rated_at);

CREATE TABLE feedback (
    id           INTEGER PRIMARY KEY,
    year         INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    number       TEXT NOT NULL,
    channel      TEXT,
    chat_id      TEXT,
    text         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    answer       TEXT,
    answered_by  TEXT,
    answerer_name TEXT,
    answered_at  TEXT,
    UNIQUE (year, seq)
);

CREATE INDEX feedback_by_time ON feedback (created_at);

CREATE TABLE volunteers (
    channel       TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    chat_id       TEXT NOT NULL,
    name          TEXT NOT NULL,
    team          TEXT NOT NULL,
    hamlet        TEXT NOT NULL,
    status        TEXT NOT NULL,
    requested_at  TEXT NOT NULL,
    decided_by    TEXT,
    decided_at    TEXT,
    PRIMARY KEY (channel, user_id)
);
