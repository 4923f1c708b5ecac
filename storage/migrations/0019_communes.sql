-- Issue 19: one bot for a province's communes. A dossier belongs to a commune; '' until it is
-- assigned (dossiers imported before the province file): at start-up, from its code's agency
-- segment, or to the only commune of a province of one.
ALTER TABLE dossiers ADD COLUMN commune_id TEXT NOT NULL DEFAULT '';
CREATE INDEX dossiers_by_commune ON dossiers (commune_id, received_at);
-- The commune a chat chose for guidance (asked once; "đổi xã" changes it); NULL: not chosen.
ALTER TABLE chats ADD COLUMN commune_id TEXT;
