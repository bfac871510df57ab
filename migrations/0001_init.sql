-- +goose Up
-- Times are UTC text in one fixed format (2006-01-02T15:04:05.000Z), so they
-- sort as strings and stay readable from the sqlite3 shell.

-- One row per feed of feeds.yaml: its polling state. Rows of feeds removed
-- from the config stay, because their stories still point at them.
CREATE TABLE feeds (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    url                  TEXT NOT NULL,
    etag                 TEXT NOT NULL DEFAULT '',  -- validators, saved only after a successful parse
    last_modified        TEXT NOT NULL DEFAULT '',
    body_hash            TEXT NOT NULL DEFAULT '',  -- skips unchanged bodies from servers without validators
    last_attempt_at      TEXT,
    last_success_at      TEXT,
    last_error           TEXT NOT NULL DEFAULT '',
    last_error_at        TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_due_at          TEXT,                      -- NULL: due now
    gone_at              TEXT,                      -- set by HTTP 410; cleared when the URL changes
    created_at           TEXT NOT NULL
) STRICT;

-- One row per article, whichever feeds carried it.
CREATE TABLE stories (
    id            INTEGER PRIMARY KEY,
    url           TEXT UNIQUE,              -- canonical URL; NULL when the item had no usable link
    title         TEXT NOT NULL,
    summary       TEXT NOT NULL DEFAULT '', -- plain text
    text          TEXT NOT NULL DEFAULT '', -- plain text for matching: full content, else the summary
    author        TEXT NOT NULL DEFAULT '',
    lang          TEXT NOT NULL DEFAULT '',
    hash          TEXT NOT NULL,            -- of title, summary and text: tells an edited item from a repeat
    published_at  TEXT NOT NULL,            -- as the outlet dated it; first_seen_at when missing or in the future
    first_seen_at TEXT NOT NULL,            -- when civicwatch first stored it
    updated_at    TEXT NOT NULL             -- last change of title or text
) STRICT;
CREATE INDEX stories_first_seen ON stories(first_seen_at);

-- Which feeds carried which story, under which key (GUID, else link).
CREATE TABLE sightings (
    feed_id       TEXT NOT NULL REFERENCES feeds(id),
    item_key      TEXT NOT NULL,
    story_id      INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (feed_id, item_key)
) STRICT, WITHOUT ROWID;
CREATE INDEX sightings_story ON sightings(story_id);

-- One row per fetch attempt, successful or not.
CREATE TABLE fetches (
    id            INTEGER PRIMARY KEY,
    feed_id       TEXT NOT NULL REFERENCES feeds(id),
    started_at    TEXT NOT NULL,
    duration_ms   INTEGER NOT NULL,
    status        INTEGER NOT NULL,          -- HTTP status; 0 when no response came
    bytes         INTEGER NOT NULL,          -- body bytes after decompression
    outcome       TEXT NOT NULL,             -- ok | not_modified | unchanged | error | gone
    items         INTEGER NOT NULL DEFAULT 0,
    new_items     INTEGER NOT NULL DEFAULT 0,
    updated_items INTEGER NOT NULL DEFAULT 0,
    merged_items  INTEGER NOT NULL DEFAULT 0, -- items that were already stored from another feed
    error         TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX fetches_feed ON fetches(feed_id, started_at);

-- Full-text index over title and text. The trigram tokenizer finds any
-- substring of three or more characters, which is what Khmer needs: it is
-- written without spaces, so a word tokenizer would see whole sentences.
-- detail=none keeps no positions: searches use LIKE, which the trigram index
-- serves and SQLite then checks against the text, so results are exact.
-- Without positions, indexing a story costs about half as much (see
-- docs/performance.md), which decides how fast a new feed's backlog goes in.
CREATE VIRTUAL TABLE stories_fts USING fts5(
    title, text, content='stories', content_rowid='id', tokenize='trigram', detail=none
);
-- Merge index segments in larger steps while ingesting.
INSERT INTO stories_fts(stories_fts, rank) VALUES ('automerge', 8);

-- New stories are indexed by store.SaveFetches with one INSERT ... SELECT per
-- transaction, not by an AFTER INSERT trigger: FTS5 writes its pending terms
-- to disk at every statement savepoint, so a per-row trigger turns each
-- story into an index segment of its own and ingest spends its time merging.
-- Edits and deletions touch rows that are already indexed; triggers keep
-- the index in step with them.
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

-- +goose Down
DROP TABLE stories_fts;
DROP TABLE fetches;
DROP TABLE sightings;
DROP TABLE stories;
DROP TABLE feeds;
