-- Issue 20: the receipt's QR. A token per printed slip, stored as its SHA-256 only; revocable.
-- Tokens stop working some days after the dossier is finished (decided in core/slips.py).
CREATE TABLE dossier_links (
    token_hash  TEXT PRIMARY KEY,
    code_key    TEXT NOT NULL REFERENCES dossiers (code_key) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE INDEX dossier_links_by_dossier ON dossier_links (code_key);

-- The short code the status page shows, to send to the Zalo OA; hashed, expires in hours.
CREATE TABLE follow_codes (
    code_hash   TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL REFERENCES dossier_links (token_hash) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

CREATE INDEX follow_codes_by_expiry ON follow_codes (expires_at);
