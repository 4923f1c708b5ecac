-- Officers added in the chat by an admin (admins themselves come from the settings), per
-- channel; and the audit log of every action an officer takes for the office.
CREATE TABLE officers (
    channel   TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    name      TEXT,
    added_by  TEXT NOT NULL,
    added_at  TEXT NOT NULL,
    PRIMARY KEY (channel, user_id)
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    channel     TEXT NOT NULL,
    actor       TEXT NOT NULL,
    actor_name  TEXT,
    action      TEXT NOT NULL,
    target      TEXT,
    detail      TEXT
);

CREATE INDEX audit_log_by_time ON audit_log (at, id);
