-- Catching up on what was said while the bot was away: the last catch-up of each community,
-- for /stats and the operator. Never edit a landed migration; add a new file.

CREATE TABLE catch_ups (
    community_id  INTEGER PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
    -- When it started, and how long it took.
    ran_at        TEXT NOT NULL,
    duration_ms   INTEGER NOT NULL,
    -- Threads (or rooms) read, and platform pages (REST pages, /messages pages) fetched.
    threads       INTEGER NOT NULL,
    pages         INTEGER NOT NULL,
    -- Messages recorded that were missing, updated from a newer edit, marked deleted.
    recorded      INTEGER NOT NULL,
    updated       INTEGER NOT NULL,
    deleted       INTEGER NOT NULL,
    -- 1 when the page budget ran out before everything was read.
    cut_short     INTEGER NOT NULL
);

