-- Zalo counts a consultation message as a free reply only when it carries the id of the
-- person's message it answers (Zalo OA help: a message with only user_id is a proactive one).
ALTER TABLE zalo_followers ADD COLUMN last_message_id TEXT;
