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

-- A year of archive (docs/performance.md): the digest's feed-health footer
-- asks for each feed's latest new-story times, and /sources for counts of
-- its recent stories; without this index both read every sighting.
CREATE INDEX sightings_feed_seen ON sightings(feed_id, first_seen_at);

-- +goose Down
DROP INDEX sightings_feed_seen;
DROP TABLE story_deletions;
