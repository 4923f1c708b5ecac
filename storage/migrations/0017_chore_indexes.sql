-- Issue 18: the daily apology watch lists the dossiers asked to supplement again; without an
-- index it read every dossier (5 M in a province) while replies waited.
CREATE INDEX dossiers_by_supplements ON dossiers (supplements);
