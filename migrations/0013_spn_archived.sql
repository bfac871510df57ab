-- +goose Up
-- What became of each Save Page Now job: the API accepts a capture request
-- and works it later, so a submission is followed at /save/status/JOB until
-- the Internet Archive says it holds the page (archived, with its address
-- in the Wayback Machine) or could not take it (failed, with its message).
ALTER TABLE spn_submissions ADD COLUMN archived_url TEXT NOT NULL DEFAULT '';
ALTER TABLE spn_submissions ADD COLUMN followed_at TEXT; -- the last look at the job; NULL before any

-- +goose Down
ALTER TABLE spn_submissions DROP COLUMN followed_at;
ALTER TABLE spn_submissions DROP COLUMN archived_url;
