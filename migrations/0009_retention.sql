-- +goose Up
-- Retention (retention.stories in feeds.yaml) deletes unmatched stories
-- older than a limit. Whatever keeps story ids between answers (the rules
-- lab's index, in this process or another one beside it) must learn which
-- ones went; it reads this log of deletions since it last looked. Rows
-- older than a month are dropped by the next prune: a reader that has not
-- looked for that long starts again from the archive.
CREATE TABLE story_deletions (
    story_id   INTEGER NOT NULL,
    deleted_at TEXT NOT NULL
) STRICT;
CREATE INDEX story_deletions_at ON story_deletions(deleted_at);

-- +goose Down
DROP TABLE story_deletions;
