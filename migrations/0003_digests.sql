-- +goose Up
-- The digest ledger: one row per (recipient, period), so that sending is
-- resumable. A digest is built once, stored here as "pending" with the whole
-- message, and only then sent; a crash or an SMTP outage leaves the row
-- pending and the next run sends the stored message again, with the same
-- Message-ID and the same content. A sent row is never sent again.

CREATE TABLE digests (
    recipient    TEXT NOT NULL,          -- the address, lower-cased
    period       TEXT NOT NULL,          -- local date of the scheduled send in digest.timezone, "2026-11-26"
    window_start TEXT NOT NULL,          -- stories first seen in [window_start, window_end)
    window_end   TEXT NOT NULL,          -- the scheduled send time; the next digest starts here once this one is sent
    status       TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    message_id   TEXT NOT NULL,          -- without angle brackets; fixed per (recipient, period)
    from_addr    TEXT NOT NULL,          -- the message as built, so that a resend is the same message:
    to_addr      TEXT NOT NULL,          --   the address as configured (recipient is the key, lower-cased)
    to_name      TEXT NOT NULL DEFAULT '',
    subject      TEXT NOT NULL,
    date         TEXT NOT NULL,          -- the Date: header
    text_body    TEXT NOT NULL,
    html_body    TEXT NOT NULL,
    story_ids    TEXT NOT NULL,          -- JSON array of the stories in the digest
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    sent_at      TEXT,
    PRIMARY KEY (recipient, period)
) STRICT;
-- Serves `civicwatch digests`: the latest periods first.
CREATE INDEX digests_period ON digests(period);

-- +goose Down
DROP TABLE digests;
