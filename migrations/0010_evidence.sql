-- +goose Up
-- The capture queue: one row per story whose article page is to be kept as
-- evidence. A row is written when the story qualifies (see evidence.capture
-- in feeds.yaml) and is never deleted while the story lives, so a story is
-- captured once however often the queue is worked.
CREATE TABLE evidence_queue (
    story_id    INTEGER PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
    url         TEXT NOT NULL,             -- the story's canonical URL when queued
    state       TEXT NOT NULL,             -- queued | captured | failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    enqueued_at TEXT NOT NULL,
    next_at     TEXT NOT NULL,             -- not tried before this time (retry back-off)
    updated_at  TEXT NOT NULL,
    -- Re-checks, once captured: the state becomes unchanged, edited,
    -- removed or unreachable. checks_done counts the configured ages used;
    -- fail_streak the network failures in a row (unreachable at three).
    checks_done INTEGER NOT NULL DEFAULT 0,
    fail_streak INTEGER NOT NULL DEFAULT 0,
    check_at    TEXT                       -- next re-check; NULL when none is scheduled
) STRICT;
CREATE INDEX evidence_queue_due ON evidence_queue(state, next_at);
CREATE INDEX evidence_queue_check ON evidence_queue(check_at) WHERE check_at IS NOT NULL;

-- One row per re-check: the history a story's state was judged from.
CREATE TABLE evidence_checks (
    id          INTEGER PRIMARY KEY,
    story_id    INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    checked_at  TEXT NOT NULL,
    outcome     TEXT NOT NULL,             -- unchanged | edited | removed | failed
    status      INTEGER NOT NULL,          -- HTTP status; 0 when no response came
    final_url   TEXT NOT NULL DEFAULT '',
    body_sha256 TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    capture_id  INTEGER REFERENCES captures(id) ON DELETE SET NULL -- the new version, when edited
) STRICT;
CREATE INDEX evidence_checks_story ON evidence_checks(story_id, checked_at);

-- One row per capture. Evidence is never rewritten: a later version of the
-- page is a new row with its own hashes and its own WARC records.
CREATE TABLE captures (
    id             INTEGER PRIMARY KEY,
    story_id       INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    captured_at    TEXT NOT NULL,          -- when the request was sent
    url            TEXT NOT NULL,          -- as requested
    final_url      TEXT NOT NULL,          -- after redirects
    status         INTEGER NOT NULL,       -- HTTP status of the final response
    body_sha256    TEXT NOT NULL,          -- hex SHA-256 of the response body after decompression
    body_bytes     INTEGER NOT NULL,
    warc_file      TEXT NOT NULL,          -- file name inside the evidence directory
    warc_offset    INTEGER NOT NULL,       -- byte offset of the response record's gzip member
    warc_record_id TEXT NOT NULL,          -- WARC-Record-ID of the response record
    text           TEXT NOT NULL DEFAULT '', -- the article's main text as extracted; '' when extraction failed
    text_sha256    TEXT NOT NULL DEFAULT '', -- hex SHA-256 of text (UTF-8); '' with no text
    extract_error  TEXT NOT NULL DEFAULT ''  -- why no text was extracted
) STRICT;
CREATE INDEX captures_story ON captures(story_id, captured_at);

-- Article fetches per UTC day, captures and re-checks together, so the
-- daily budget holds across runs and restarts.
CREATE TABLE evidence_budget (
    day     TEXT PRIMARY KEY,              -- YYYY-MM-DD, UTC
    fetches INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- +goose Down
DROP TABLE evidence_checks;
DROP TABLE evidence_budget;
DROP TABLE captures;
DROP TABLE evidence_queue;
