-- +goose Up
-- Fields are bounded when a feed is normalised (package feed: a title of at
-- most 1,000 characters, summary and text of at most 256 KiB together, a
-- bounded author), and a field that was longer is cut with a visible mark,
-- " [… cut]". `cut` records that the story lost text that way, so a reader
-- of the story page, or an export, knows the stored text is not the whole.
ALTER TABLE stories ADD COLUMN cut INTEGER NOT NULL DEFAULT 0;

-- Stories stored before the bounds existed are cut the same way here, so
-- that every page and export reads bounded text. SQLite counts characters
-- in length() and substr() of text; byte bounds are met by keeping few
-- enough characters that even four-byte ones fit (a summary of at most
-- 64 KiB, a text of at most 192 KiB). Their hits pointed into the old text:
-- rules_version is cleared, so `civicwatch rematch` knows to match them again.
UPDATE stories SET
    title = iif(length(title) > 1000, substr(title, 1, 992) || ' [… cut]', title),
    summary = iif(length(CAST(summary AS BLOB)) > 65536, substr(summary, 1, 16376) || ' [… cut]', summary),
    text = iif(length(CAST(text AS BLOB)) > 262144, substr(text, 1, 49144) || ' [… cut]', text),
    author = iif(length(author) > 200, substr(author, 1, 192) || ' [… cut]', author),
    cut = 1,
    rules_version = NULL
WHERE length(title) > 1000 OR length(CAST(summary AS BLOB)) > 65536
   OR length(CAST(text AS BLOB)) > 262144 OR length(author) > 200;

-- +goose Down
ALTER TABLE stories DROP COLUMN cut;
