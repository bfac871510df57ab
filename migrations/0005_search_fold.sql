-- +goose Up
-- Full-text search folds what Khmer writers type interchangeably, so that a
-- word is found however it was typed, here and in the query:
--   - U+200B, U+200C, U+200D and U+FEFF are removed: Khmer sites put a
--     zero-width space between words, or inside them, or nowhere;
--   - the subscript ្ដ (COENG U+17D2 + DA U+178A) becomes ្ត (COENG + TA
--     U+178F), after the removal, as internal/match does for rules.
-- The index reads its text from the view below instead of from stories, so
-- what it indexes, what it hands LIKE to confirm a candidate and what
-- 'rebuild' and 'integrity-check' compare against are all folded. The
-- stories keep their text as the outlet wrote it: snippets and match
-- offsets point into that.
--
-- The folding is built-in SQL only (replace(), char(), length(), CAST), so
-- the schema works in the plain sqlite3 shell. Text of ASCII alone (as many
-- characters as bytes) has nothing to fold and is passed through: the five
-- replace() passes cost ingest about 5 % and searches far more, since LIKE
-- reads every candidate through the view (docs/performance.md).
-- store.Search folds each query word the same way (foldSearch in
-- internal/store/stories.go); the two must stay in step, and a test checks
-- that they agree. The same expression appears in the two triggers below,
-- which must hand FTS5's 'delete' exactly the values that were indexed, and
-- the old row is gone from the view by then.
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

DROP TRIGGER stories_fts_delete;
DROP TRIGGER stories_fts_update;
DROP TABLE stories_fts;

-- As in 0001 (trigram, detail=none; see the comments there), but over the view.
CREATE VIRTUAL TABLE stories_fts USING fts5(
    title, text, content='stories_search', content_rowid='id', tokenize='trigram', detail=none
);
INSERT INTO stories_fts(stories_fts, rank) VALUES ('automerge', 8);
-- Every stored story, folded. On a large archive this takes about as long as
-- ingesting it did (docs/performance.md), once, when the database is opened.
INSERT INTO stories_fts(stories_fts) VALUES ('rebuild');

-- New stories are still indexed by store.SaveFetches, from the view.
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

-- +goose Down
-- Back to 0001's index of the text as stored.
DROP TRIGGER stories_fts_delete;
DROP TRIGGER stories_fts_update;
DROP TABLE stories_fts;
DROP VIEW stories_search;

CREATE VIRTUAL TABLE stories_fts USING fts5(
    title, text, content='stories', content_rowid='id', tokenize='trigram', detail=none
);
INSERT INTO stories_fts(stories_fts, rank) VALUES ('automerge', 8);
INSERT INTO stories_fts(stories_fts) VALUES ('rebuild');

-- +goose StatementBegin
CREATE TRIGGER stories_fts_delete AFTER DELETE ON stories BEGIN
    INSERT INTO stories_fts(stories_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER stories_fts_update AFTER UPDATE OF title, text ON stories BEGIN
    INSERT INTO stories_fts(stories_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO stories_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;
-- +goose StatementEnd
