-- Linking: a Matrix room or another Discord guild joins a community (by a one-time code a
-- moderator of that community issues and a moderator of the other side uses), so both read one
-- shelf and one discussion per article. Never edit a landed migration; add a new file.

-- The community this one is part of (NULL: independent). Every path resolves a community
-- through `Store::community`, which answers with the one it is joined to.
ALTER TABLE communities ADD COLUMN joined_to INTEGER REFERENCES communities (id) ON DELETE SET NULL;
ALTER TABLE communities ADD COLUMN joined_at TEXT;
CREATE INDEX communities_joined ON communities (joined_to);

-- The community a channel really comes from (its guild, its room). `community_id` is the one
-- it is read in, which differs while its community is joined to another: leaving moves exactly
-- these channels back. Purging that community takes its channels wherever they are read.
ALTER TABLE channels ADD COLUMN home_id INTEGER REFERENCES communities (id) ON DELETE CASCADE;
UPDATE channels SET home_id = community_id;
CREATE INDEX channels_home ON channels (home_id);

-- A joined community's articles are copied onto the shelf of the one it is joined to, marked
-- with where they came from (`via`), so leaving takes back exactly those. NULL: the
-- community's own. A joined community keeps its own shelf meanwhile (unread while joined).
ALTER TABLE shelves ADD COLUMN via INTEGER REFERENCES communities (id) ON DELETE CASCADE;

-- The community whose moderator pinned (its own row): a pin across a link (one side's note
-- on the other side's message) is dropped when the link is undone. NULL: from before links.
ALTER TABLE pins ADD COLUMN pinned_in INTEGER REFERENCES communities (id) ON DELETE SET NULL;

-- One-time codes: a moderator of `community_id` issues one; a moderator of the community to
-- bring in uses it there, once, before `expires_at`. Only a hash of the code is kept.
CREATE TABLE link_codes (
    code_hash     TEXT PRIMARY KEY,
    community_id  INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    issued_by     TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    used_at       TEXT,
    used_by       INTEGER REFERENCES communities (id) ON DELETE SET NULL,
    requested     INTEGER NOT NULL DEFAULT 0,
    accepted_at   TEXT
);
CREATE INDEX link_codes_community ON link_codes (community_id);
