-- Linking on PostgreSQL: the same as ../0007_links.sql. Never edit a landed migration; add a
-- new file.

-- The community this one is part of (NULL: independent).
ALTER TABLE communities ADD COLUMN joined_to BIGINT REFERENCES communities (id) ON DELETE SET NULL;
ALTER TABLE communities ADD COLUMN joined_at TIMESTAMPTZ;
CREATE INDEX communities_joined ON communities (joined_to);

-- The community a channel really comes from; `community_id` is the one it is read in.
ALTER TABLE channels ADD COLUMN home_id BIGINT REFERENCES communities (id) ON DELETE CASCADE;
UPDATE channels SET home_id = community_id;
CREATE INDEX channels_home ON channels (home_id);

-- Where a shelf row was copied from (a joined community); NULL: the community's own.
ALTER TABLE shelves ADD COLUMN via BIGINT REFERENCES communities (id) ON DELETE CASCADE;

-- The community whose moderator pinned (its own row): a pin across a link (one side's note
-- on the other side's message) is dropped when the link is undone. NULL: from before links.
ALTER TABLE pins ADD COLUMN pinned_in BIGINT REFERENCES communities (id) ON DELETE SET NULL;

-- One-time codes (hashed), issued in `community_id`, used once before `expires_at`.
CREATE TABLE link_codes (
    code_hash     TEXT PRIMARY KEY,
    community_id  BIGINT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    issued_by     TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    used_at       TIMESTAMPTZ,
    used_by       BIGINT REFERENCES communities (id) ON DELETE SET NULL,
    requested     BOOLEAN NOT NULL DEFAULT FALSE,
    accepted_at   TIMESTAMPTZ
);
CREATE INDEX link_codes_community ON link_codes (community_id);
