-- The web reader: a community published at an unlisted address, and the text of each posted
-- digest so the archive can show it. Never edit a landed migration; add a new file.

-- One row per published community; `/web off` deletes it, so the address answers 404 at once.
-- `/web on` after that makes a new token: an address once taken down stays down.
CREATE TABLE web_publications (
    community_id  BIGINT PRIMARY KEY REFERENCES communities (id) ON DELETE CASCADE,
    -- 128 random bits, hex: the only thing that leads to the community's pages.
    token         TEXT NOT NULL UNIQUE,
    published_by  TEXT,
    published_at  TIMESTAMPTZ NOT NULL
);

-- A posted digest as the web archive shows it (JSON of `web::ArchivedDigest`).
ALTER TABLE digest_runs ADD COLUMN content TEXT;
