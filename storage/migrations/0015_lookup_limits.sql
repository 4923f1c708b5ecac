-- Issue 15: failed lookups are counted per chat, per channel user, per dossier (the code asked
-- about, existing or not) and overall; rows older than the longest window are deleted hourly.
ALTER TABLE lookup_failures ADD COLUMN user_id TEXT;

ALTER TABLE lookup_failures ADD COLUMN code_key TEXT;

CREATE INDEX lookup_failures_by_user ON lookup_failures (channel, user_id, at);

CREATE INDEX lookup_failures_by_dossier ON lookup_failures (code_key, at);

CREATE INDEX lookup_failures_by_time ON lookup_failures (at);
