-- +goose Up
-- Urgent alerts (the alerts: section of feeds.yaml). Three tables, one job
-- each, so that every story is pushed at most once per alert and channel
-- however often the daemon restarts:
--   alert_cursors  how far each alert has read the matches;
--   alert_stories  which stories are queued for which (alert, channel), and
--                  which message carried them: the primary key is the
--                  "exactly once";
--   alerts         the ledger of messages that leave the machine, in the
--                  shape the digests table set: written as pending before
--                  the first attempt, final on the receiver's 2xx, retried
--                  with the same event id on temporary failures, failed on
--                  a clear refusal.

CREATE TABLE alert_cursors (
    alert           TEXT PRIMARY KEY,   -- alert id from feeds.yaml
    matched_through TEXT NOT NULL       -- matches with matched_at at or after this are still to look at
) STRICT;

CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    event_id        TEXT NOT NULL UNIQUE,  -- sent with every attempt, so receivers can drop repeats
    alert           TEXT NOT NULL,
    channel         TEXT NOT NULL,         -- the channel's key ("webhook https://…", "email a@b"); never a secret
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    test            INTEGER NOT NULL DEFAULT 0,  -- 1: sent by `civicwatch alerts test`, never retried
    payload         TEXT NOT NULL,         -- the event as JSON, fixed when the row is written: a retry sends the same
    stories         INTEGER NOT NULL,      -- how many stories the message carries
    overflow        INTEGER NOT NULL DEFAULT 0,  -- stories held back by max_per_day that it reports
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,         -- pending rows: when the next attempt is due
    first_failed_at TEXT,                  -- the first failed attempt, for /healthz's "failing for over an hour"
    sent_at         TEXT
) STRICT;
-- Serves the worker's "what is due" and the ledger listing's newest first.
CREATE INDEX alerts_due ON alerts(status, next_attempt_at);
-- Serves the cooldown and max_per_day questions per (alert, channel).
CREATE INDEX alerts_channel ON alerts(alert, channel, created_at);

CREATE TABLE alert_stories (
    alert       TEXT NOT NULL,
    channel     TEXT NOT NULL,
    story_id    INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    topics      TEXT NOT NULL,            -- JSON array: the alert's topics the story matched
    terms       TEXT NOT NULL,            -- JSON array: the terms that counted
    queued_at   TEXT NOT NULL,
    message     INTEGER REFERENCES alerts(id),  -- NULL while queued
    overflow_at TEXT,                     -- held back by max_per_day: not pushed; the digest carries it
    reported    INTEGER NOT NULL DEFAULT 0,     -- overflow: a later message has said so
    PRIMARY KEY (alert, channel, story_id)
) STRICT;
-- Serves "the stories queued for this channel".
CREATE INDEX alert_stories_queue ON alert_stories(alert, channel, message);

-- Serves the alerter's "matches since the cursor" after each poll round,
-- which would otherwise read every match of the alert's topics.
CREATE INDEX matches_matched_at ON matches(matched_at);

-- +goose Down
DROP INDEX matches_matched_at;
DROP TABLE alert_stories;
DROP TABLE alerts;
DROP TABLE alert_cursors;
