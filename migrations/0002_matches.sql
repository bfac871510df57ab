-- +goose Up
-- Which topics each story matched, and why. Matching happens as stories are
-- stored (see store.SaveFetches) and again on `civicwatch rematch`.

-- One row per (story, topic) that matched. A story that matched nothing has
-- no rows here; stories.rules_version tells it apart from one never matched.
CREATE TABLE matches (
    story_id      INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    topic         TEXT NOT NULL,    -- topic id from feeds.yaml
    hits          TEXT NOT NULL,    -- JSON array of {term, field, start, end}: byte offsets into the field as stored
    rules_version TEXT NOT NULL,    -- match.Rules.Version() of the rules that last confirmed this match
    matched_at    TEXT NOT NULL,    -- when the story first matched this topic; kept while later
                                    -- versions of the rules or the story still match it, so
                                    -- "new in topic since T" stays a range query
    PRIMARY KEY (story_id, topic)
) STRICT;
-- Serves "the stories of topic T", newest first (story ids grow with first sight).
CREATE INDEX matches_topic ON matches(topic, story_id);

-- The version of the rules that last looked at the story, matched or not;
-- NULL when no rules have (stored before topics were configured, or polled
-- without rules). A column rather than a table of its own: there is exactly
-- one value per story, it goes when the story goes, finding stale stories
-- needs no join, and adding a NULL column does not rewrite the table.
-- The full-text trigger fires only on title and text, so setting it costs
-- no re-indexing.
ALTER TABLE stories ADD COLUMN rules_version TEXT;

-- +goose Down
ALTER TABLE stories DROP COLUMN rules_version;
DROP TABLE matches;
