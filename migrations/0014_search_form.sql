-- +goose Up
-- The full-text index holds each story in its search form: its Khmer read as
-- the matcher reads it (internal/match.SearchForm: zero-width characters
-- removed, interchangeable spellings folded, each syllable's parts in
-- Unicode's order), everything else as written. 0005 folded two of these in
-- SQL, in the view; the rest need the matcher's code, so the store now
-- writes the form beside the text, in search_title and search_text, when it
-- differs (NULL: the text is its own search form), and store.Search puts
-- each query word in the same form. The view hands the index the search
-- form, and the stories keep their text as the outlet wrote it.
--
-- search_form records which reading of the matcher the stored forms are in
-- (match.TextRevision). store.Open reads every story with non-ASCII text
-- again when it differs, in one transaction, and the update trigger keeps
-- the index in step; this migration leaves the forms as the index holds
-- them now (0005's fold), so index and view agree at every step.
ALTER TABLE stories ADD COLUMN search_title TEXT;
ALTER TABLE stories ADD COLUMN search_text TEXT;

-- No trigger fires here: the update trigger watches title and text only.
UPDATE stories SET search_title = nullif(
        replace(replace(replace(replace(replace(title,
            char(0x200B), ''), char(0x200C), ''), char(0x200D), ''), char(0xFEFF), ''),
            char(0x17D2, 0x178A), char(0x17D2, 0x178F)), title)
    WHERE length(title) != length(CAST(title AS BLOB));
UPDATE stories SET search_text = nullif(
        replace(replace(replace(replace(replace(text,
            char(0x200B), ''), char(0x200C), ''), char(0x200D), ''), char(0xFEFF), ''),
            char(0x17D2, 0x178A), char(0x17D2, 0x178F)), text)
    WHERE length(text) != length(CAST(text AS BLOB));

CREATE TABLE search_form (
    revision TEXT NOT NULL -- match.TextRevision of the stored forms; '0005' for 0005's SQL fold
);
INSERT INTO search_form (revision) VALUES ('0005');

DROP TRIGGER stories_fts_delete;
DROP TRIGGER stories_fts_update;
DROP VIEW stories_search;

CREATE VIEW stories_search AS SELECT id,
    coalesce(search_title, title) AS title,
    coalesce(search_text, text) AS text
FROM stories;

-- +goose StatementBegin
CREATE TRIGGER stories_fts_delete AFTER DELETE ON stories BEGIN
    INSERT INTO stories_fts(stories_fts, rowid, title, text) VALUES ('delete', old.id,
        coalesce(old.search_title, old.title), coalesce(old.search_text, old.text));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER stories_fts_update AFTER UPDATE OF title, text, search_title, search_text ON stories BEGIN
    INSERT INTO stories_fts(stories_fts, rowid, title, text) VALUES ('delete', old.id,
        coalesce(old.search_title, old.title), coalesce(old.search_text, old.text));
    INSERT INTO stories_fts(rowid, title, text) VALUES (new.id,
        coalesce(new.search_title, new.title), coalesce(new.search_text, new.text));
END;
-- +goose StatementEnd

-- +goose Down
-- Back to 0005: the view folds in SQL again, and the index is rebuilt from it.
DROP TRIGGER stories_fts_delete;
DROP TRIGGER stories_fts_update;
DROP VIEW stories_search;
DROP TABLE search_form;
ALTER TABLE stories DROP COLUMN search_title;
ALTER TABLE stories DROP COLUMN search_text;
CREATE VIEW stories_search AS SELECT id,
    CASE WHEN length(title) = length(CAST(title AS BLOB)) THEN title ELSE
        replace(replace(replace(replace(replace(title,
            char(0x200B), ''), char(0x200C), ''), char(0x200D), ''), char(0xFEFF), ''),
            char(0x17D2, 0x178A), char(0x17D2, 0x178F)) END AS title,
    CASE WHEN length(text) = length(CAST(text AS BLOB)) THEN text ELSE
        replace(replace(replace(replace(replace(text,
            char(0x200B), ''), char(0x200C), ''), char(0x200D), ''), char(0xFEFF), ''),
            char(0x17D2, 0x178A), char(0x17D2, 0x178F)) END AS text
FROM stories;

-- +goose StatementBegin
CREATE TRIGGER stories_fts_delete AFTER DELETE ON stories BEGIN
    INSERT INTO stories_fts(stories_fts, rowid, title, text) VALUES ('delete', old.id,
        CASE WHEN length(old.title) = length(CAST(old.title AS BLOB)) THEN old.title ELSE
            replace(replace(replace(replace(replace(old.title,
                char(0x200B), ''), char(0x200C), ''), char(0x200D), ''), char(0xFEFF), ''),
                char(0x17D2, 0x178A), char(0x17D2, 0x178F)) END,
        CASE WHEN length(old.text) = length(CAST(old.text AS BLOB)) THEN old.text ELSE
            replace(replace(replace(replace(replace(old.text,
                char(0x200B), ''), char(0x200C), ''), char(0x200D), ''), char(0xFEFF), ''),
                char(0x17D2, 0x178A), char(0x17D2, 0x178F)) END);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER stories_fts_update AFTER UPDATE OF title, text ON stories BEGIN
    INSERT INTO stories_fts(stories_fts, rowid, title, text) VALUES ('delete', old.id,
        CASE WHEN length(old.title) = length(CAST(old.title AS BLOB)) THEN old.title ELSE
            replace(replace(replace(replace(replace(old.title,
                char(0x200B), ''), char(0x200C), ''), char(0x200D), ''), char(0xFEFF), ''),
                char(0x17D2, 0x178A), char(0x17D2, 0x178F)) END,
        CASE WHEN length(old.text) = length(CAST(old.text AS BLOB)) THEN old.text ELSE
            replace(replace(replace(replace(replace(old.text,
                char(0x200B), ''), char(0x200C), ''), char(0x200D), ''), char(0xFEFF), ''),
                char(0x17D2, 0x178A), char(0x17D2, 0x178F)) END);
    INSERT INTO stories_fts(rowid, title, text) SELECT id, title, text FROM stories_search WHERE id = new.id;
END;
-- +goose StatementEnd

INSERT INTO stories_fts(stories_fts) VALUES ('rebuild');
