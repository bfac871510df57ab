-- +goose Up
-- The article's main text, from the latest capture of the story's page
-- (captures.text keeps every version): the field `article` the rules match.
-- A column beside the story's own text rather than a read through captures,
-- because every path that matches a stored story (rematch, the rules lab,
-- alerts, explain) reads stories, and should see what the poller's
-- re-match saw without a join of its own.
ALTER TABLE stories ADD COLUMN article TEXT NOT NULL DEFAULT '';
-- When the article was last set and the story re-matched with it. A topic
-- the article brought has matches.matched_at equal to this time, which is
-- how a digest finds a story first seen before its window that the article
-- made match within it (internal/digest: "late" stories).
ALTER TABLE stories ADD COLUMN article_at TEXT;
CREATE INDEX stories_article_at ON stories(article_at) WHERE article_at IS NOT NULL;
-- Stories whose article no rules have matched yet (store.StaleArticles):
-- few, and found without reading the archive.
CREATE INDEX stories_article_stale ON stories(id) WHERE article != '' AND rules_version IS NULL;

-- The state a re-check left the story in, and whether it was a change a
-- reader should hear of: a move into another state, or a new edit. The
-- digest's "Changed or removed since reported" section reads these rows by
-- time, so each change is told once, in the window that contains it.
ALTER TABLE evidence_checks ADD COLUMN state TEXT NOT NULL DEFAULT '';
ALTER TABLE evidence_checks ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX evidence_checks_changed ON evidence_checks(checked_at) WHERE changed;

-- +goose Down
DROP INDEX evidence_checks_changed;
ALTER TABLE evidence_checks DROP COLUMN changed;
ALTER TABLE evidence_checks DROP COLUMN state;
DROP INDEX stories_article_stale;
DROP INDEX stories_article_at;
ALTER TABLE stories DROP COLUMN article_at;
ALTER TABLE stories DROP COLUMN article;
