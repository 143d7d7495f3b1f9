-- Catching up on what was said while the bot was away: the last catch-up of each community,
-- for /stats and the operator. Never edit a landed migration; add a new file.

CREATE TABLE catch_ups (
    community_id  BIGINT PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
    -- When it started, and how long it took.
    ran_at        TIMESTAMPTZ NOT NULL,
    duration_ms   BIGINT NOT NULL,
    -- Threads (or rooms) read, and platform pages (REST pages, /messages pages) fetched.
    threads       BIGINT NOT NULL,
    pages         BIGINT NOT NULL,
    -- Messages recorded that were missing, updated from a newer edit, marked deleted.
    recorded      BIGINT NOT NULL,
    updated       BIGINT NOT NULL,
    deleted       BIGINT NOT NULL,
    -- When the page budget ran out before everything was read.
    cut_short     BOOLEAN NOT NULL
);
