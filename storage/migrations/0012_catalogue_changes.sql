-- The catalogue's history: every procedure added, changed or removed when officers install a
-- catalogue (chat or `motcua reload`), for the report line "thủ tục mới ban hành, sửa đổi".
CREATE TABLE catalogue_changes (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    procedure_id  TEXT NOT NULL,
    change        TEXT NOT NULL,  -- added | changed | removed
    source        TEXT NOT NULL
);

CREATE INDEX catalogue_changes_by_time ON catalogue_changes (at);
