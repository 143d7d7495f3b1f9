-- Communities: a Discord guild, a Matrix room, the console. Everything a reader sees belongs to
-- one, and nothing of one reaches another. Never edit a landed migration; add a new file.

CREATE TABLE communities (
    id           INTEGER PRIMARY KEY,
    platform     TEXT NOT NULL,
    -- The guild id, the room id, `console` (or the name the console was started with).
    -- `channel:<id>` marks a Discord channel whose guild was not known yet (databases from
    -- before communities); it moves to its guild the first time the guild is seen.
    external_id  TEXT NOT NULL,
    name         TEXT,
    created_at   TEXT NOT NULL,
    -- When the bot was removed (kicked, banned, room left or deleted). Its data is purged
    -- some days later unless the bot comes back before.
    left_at      TEXT,
    UNIQUE (platform, external_id)
);

ALTER TABLE channels ADD COLUMN community_id INTEGER REFERENCES communities (id) ON DELETE CASCADE;

INSERT INTO communities (platform, external_id, name, created_at)
SELECT platform,
       CASE platform WHEN 'discord' THEN 'channel:' || external_id ELSE external_id END,
       name, created_at
FROM channels;

UPDATE channels SET community_id = (
    SELECT co.id FROM communities co
    WHERE co.platform = channels.platform
      AND co.external_id = CASE channels.platform
          WHEN 'discord' THEN 'channel:' || channels.external_id
          ELSE channels.external_id END
);

CREATE INDEX channels_community ON channels (community_id);

-- A community's shelf: the articles added or shown there, when and by whom.
CREATE TABLE shelves (
    community_id  INTEGER NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    article_id    INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    added_by      TEXT,
    added_at      TEXT NOT NULL,
    PRIMARY KEY (community_id, article_id)
);

CREATE INDEX shelves_recent ON shelves (community_id, added_at);

-- The operator's library (`readingroom ingest` without `--community`): every community may
-- open these by id or find them by search.
ALTER TABLE articles ADD COLUMN library INTEGER NOT NULL DEFAULT 0;

-- What a community discussed or was posted goes on its shelf.
INSERT OR IGNORE INTO shelves (community_id, article_id, added_at)
SELECT c.community_id, d.article_id, d.created_at
FROM discussions d JOIN channels c ON c.id = d.channel_id;

INSERT OR IGNORE INTO shelves (community_id, article_id, added_at)
SELECT c.community_id, e.article_id, e.seen_at
FROM deliveries dl
JOIN feed_entries e ON e.id = dl.entry_id
JOIN channels c ON c.id = dl.channel_id
WHERE e.article_id IS NOT NULL AND dl.delivered_at IS NOT NULL;

-- Files were ingested by the operator; so was anything no channel ever showed.
UPDATE articles SET library = 1
WHERE origin IS NULL
   OR (origin NOT LIKE 'http://%' AND origin NOT LIKE 'https://%')
   OR id NOT IN (SELECT article_id FROM shelves);

-- Edits that are events of their own (Matrix `m.replace`): redacting one must take its text
-- away, and the message only holds the latest text, so the edit's id leads to the message.
CREATE TABLE message_edits (
    platform    TEXT NOT NULL,
    edit_id     TEXT NOT NULL,
    message_id  INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (platform, edit_id)
);

-- Feed posts back off one by one: a post that keeps failing waits longer each time and is set
-- aside after a limit, so it cannot hold up the others.
ALTER TABLE deliveries ADD COLUMN next_attempt_at TEXT;
ALTER TABLE deliveries ADD COLUMN failed_at TEXT;

-- What the bot has to tell a channel's moderators the next time they look (a feed dropped
-- because the platform refused its posts there).
CREATE TABLE channel_notices (
    id          INTEGER PRIMARY KEY,
    channel_id  INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
