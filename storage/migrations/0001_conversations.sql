-- Chats the bot has talked to, and each conversation's current step.
CREATE TABLE chats (
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    PRIMARY KEY (channel, chat_id)
);

CREATE TABLE conversation_state (
    channel     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    state       TEXT,
    data        TEXT NOT NULL DEFAULT '{}',
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (channel, chat_id, user_id)
);
