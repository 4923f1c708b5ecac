-- The quarterly figures: how each dossier was submitted (truc-tiep / truc-tuyen / buu-chinh) and
-- when its result was ready, both from the one-stop software's export when it gives them (NULL
-- otherwise: the report then uses the time the history recorded the finished status).
ALTER TABLE dossiers ADD COLUMN submission_channel TEXT;

ALTER TABLE dossiers ADD COLUMN resolved_at TEXT;

-- A report reads the dossiers received up to the end of its period.
CREATE INDEX dossiers_by_received ON dossiers (received_at);
