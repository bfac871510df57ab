-- +goose Up
-- The rules lab keeps what it found in the archive between answers and asks,
-- before each answer, which stories changed since it last looked: those
-- whose text was written (updated_at, set on insert too) or which another
-- feed carried (a sighting's first_seen_at, since feed tags count in rules).
-- These two indexes answer that without reading the table.

CREATE INDEX stories_updated ON stories(updated_at);
CREATE INDEX sightings_seen ON sightings(first_seen_at);

-- +goose Down
DROP INDEX sightings_seen;
DROP INDEX stories_updated;
