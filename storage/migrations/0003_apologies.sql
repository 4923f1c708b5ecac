-- Apologies for late dossiers (NĐ 61/2018 Điều 19 k.9, Mẫu 04), and daily jobs' bookkeeping.
CREATE TABLE apologies (
    id           INTEGER PRIMARY KEY,
    code_key     TEXT NOT NULL REFERENCES dossiers (code_key) ON DELETE CASCADE,
    year         INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    number       TEXT NOT NULL,
    issued_at    TEXT NOT NULL,
    issued_by    TEXT NOT NULL,
    issuer_name  TEXT,
    reason       TEXT NOT NULL,
    old_due      TEXT NOT NULL,
    new_due      TEXT NOT NULL,
    law_version  TEXT NOT NULL,
    UNIQUE (code_key, new_due),
    UNIQUE (year, seq)
);

CREATE INDEX apologies_by_dossier ON apologies (code_key);
CREATE INDEX apologies_by_date ON apologies (issued_at);

CREATE TABLE job_runs (
    job       TEXT PRIMARY KEY,
    last_day  TEXT NOT NULL,
    ran_at    TEXT NOT NULL
);
