-- The import page's preview of an upload (headers, samples, the dry run's
-- report), as JSON, computed once when the file is uploaded or the mapping
-- is changed, so that viewing the preview never reads the file again.
-- NULL: not computed yet.
ALTER TABLE import_uploads ADD COLUMN preview TEXT;
