-- +goose Up
-- The outlet an aggregator's item credits (RSS <source>: Google News names
-- the outlet of every result). feed.Parse takes the name off the item's
-- title and description, where rules would read it as part of the story
-- ("… - Radio Free Asia" named the press in every such headline), and the
-- digest names it beside the feed that carried the story. '' for an
-- outlet's own item, and for stories stored before this migration.
ALTER TABLE stories ADD COLUMN credited TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE stories DROP COLUMN credited;
