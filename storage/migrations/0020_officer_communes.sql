-- Issue 19 point 4: officers belong to a commune (NULL: to the province) and see only its
-- dossiers, questions, feedback and volunteers; the audit log records the commune acted for.
-- Feedback, tickets and volunteers take the commune their chat chose when they are created
-- (rows from before: the chat's commune now); a broadcast records the communes it went to
-- (NULL: the whole province; else ',binh-an,tan-phu,').
ALTER TABLE officers ADD COLUMN commune_id TEXT;
ALTER TABLE audit_log ADD COLUMN commune_id TEXT;
ALTER TABLE feedback ADD COLUMN commune_id TEXT;
ALTER TABLE tickets ADD COLUMN commune_id TEXT;
ALTER TABLE volunteers ADD COLUMN commune_id TEXT;
ALTER TABLE broadcasts ADD COLUMN communes TEXT;
UPDATE feedback SET commune_id = (
    SELECT c.commune_id FROM chats c WHERE c.channel = feedback.channel AND c.chat_id = feedback.chat_id
);
UPDATE tickets SET commune_id = (
    SELECT c.commune_id FROM chats c WHERE c.channel = tickets.channel AND c.chat_id = tickets.chat_id
);
UPDATE volunteers SET commune_id = (
    SELECT c.commune_id FROM chats c
    WHERE c.channel = volunteers.channel AND c.chat_id = volunteers.chat_id
);
