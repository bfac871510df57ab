-- +goose Up
-- Submissions of captured pages to the Internet Archive's Save Page Now 2
-- API (evidence.save_page_now), one row per capture once it has been tried.
-- A capture without a row has not been submitted yet; with the feature off
-- no row is ever written.
CREATE TABLE spn_submissions (
    capture_id   INTEGER PRIMARY KEY REFERENCES captures(id) ON DELETE CASCADE,
    url          TEXT NOT NULL,            -- the URL submitted: the capture's final URL
    state        TEXT NOT NULL,            -- pending (to retry) | submitted | failed (given up)
    job_id       TEXT NOT NULL DEFAULT '', -- the API's job id, once submitted
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    next_at      TEXT,                     -- not retried before this time; NULL unless pending
    submitted_at TEXT,                     -- when the API accepted it
    updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX spn_submissions_due ON spn_submissions(state, next_at);

-- +goose Down
DROP TABLE spn_submissions;
