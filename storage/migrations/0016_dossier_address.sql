-- The applicant's address, from the export's "Địa chỉ" column when it has one: the apology
-- letter (Mẫu 04) is addressed to the person with their address.
ALTER TABLE dossiers ADD COLUMN address TEXT;
