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

-- How many stories each feed has carried, for /sources and `civicwatch
-- feeds`: counting them per request read every sighting of the archive
-- (0.13-0.2 s at a million stories). store.SaveFetches, the only writer of
-- sightings, adds what each fetch added, in one statement a fetch (a trigger
-- a row cost ingest 11 %); deletions are rare and come by cascade from
-- stories as well, so a trigger takes them, whatever deletes.
ALTER TABLE feeds ADD COLUMN stories INTEGER NOT NULL DEFAULT 0;
UPDATE feeds SET stories = (SELECT COUNT(*) FROM sightings s WHERE s.feed_id = feeds.id);
-- +goose StatementBegin
CREATE TRIGGER sightings_count_delete AFTER DELETE ON sightings BEGIN
    UPDATE feeds SET stories = stories - 1 WHERE id = old.feed_id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER sightings_count_delete;
ALTER TABLE feeds DROP COLUMN stories;
DROP INDEX sightings_feed_seen;
DROP TABLE story_deletions;
