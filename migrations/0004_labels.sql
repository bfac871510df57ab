-- +goose Up
-- Operators' judgements of matches, made in the console: was this story
-- relevant to this topic? They are exported as labelled JSONL for
-- `civicwatch eval`, so the rules are scored on the archive's own stories.

CREATE TABLE labels (
    story_id    INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    topic       TEXT NOT NULL,                               -- topic id from feeds.yaml
    relevant    INTEGER NOT NULL CHECK (relevant IN (0, 1)),
    note        TEXT NOT NULL DEFAULT '',
    labelled_at TEXT NOT NULL,
    PRIMARY KEY (story_id, topic)
) STRICT;

-- +goose Down
DROP TABLE labels;
