-- Platform events the bot gave up on after its retries (a room where it may not post, a store
-- that kept failing, an encrypted event whose key never came). The event is also marked
-- handled, so the sync position moves on; this row is what moderators see in /stats and the
-- operator in the logs.
CREATE TABLE failed_events (
    platform      TEXT NOT NULL,
    event_id      TEXT NOT NULL,
    community_id  BIGINT REFERENCES communities(id) ON DELETE CASCADE,
    -- A short reason fit for a moderator; the full error went to the operator's log.
    reason        TEXT NOT NULL,
    failed_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (platform, event_id)
);
CREATE INDEX failed_events_community ON failed_events (community_id, failed_at);

-- Encrypted events the bot cannot decrypt yet: kept (not marked handled) until their room key
-- arrives or the wait runs out, across restarts, since the sync position moves past them.
CREATE TABLE waiting_events (
    platform    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    room        TEXT NOT NULL,
    session_id  TEXT,
    -- The event as the homeserver sent it (JSON), to try decrypting again.
    raw         TEXT NOT NULL,
    first_seen  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (platform, event_id)
);
CREATE INDEX waiting_events_session ON waiting_events (platform, session_id);
