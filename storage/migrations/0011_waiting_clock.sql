-- The waiting clock (core.waiting): how many times a supplement was asked for (the law allows
-- one), and when the dossier last left "Chờ bổ sung" / "Tạm dừng" (its time restarted then).
ALTER TABLE dossiers ADD COLUMN supplements INTEGER NOT NULL DEFAULT 0;

ALTER TABLE dossiers ADD COLUMN clock_restarted_at TEXT;
