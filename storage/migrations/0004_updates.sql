-- Incoming updates already handled, per channel: platforms deliver the same update again
-- (webhooks are retried; update ids can restart), so we remember the ids, not only the highest.
CREATE TABLE processed_updates (
    channel      TEXT NOT NULL,
    update_id    TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    PRIMARY KEY (channel, update_id)
);

CREATE INDEX processed_updates_by_time ON processed_updates (received_at);
