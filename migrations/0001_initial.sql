-- Reading Room: the initial schema. Never edit a landed migration; add a new numbered file.

CREATE TABLE articles (
    id            INTEGER PRIMARY KEY,
    title         TEXT NOT NULL,
    byline        TEXT,
    source_name   TEXT,
    source_url    TEXT,
    published     TEXT,
    -- SHA-256 of the article's normalised text: the same content is one article.
    content_hash  TEXT NOT NULL UNIQUE,
    -- Where it came from (a file name or a URL), for operators.
    origin        TEXT,
    -- A web article's canonical address: the same page under another URL is one article.
    canonical_url TEXT UNIQUE,
    -- The body paragraphs joined by blank lines: what search indexes.
    body          TEXT NOT NULL,
    -- The whole parsed article (JSON of `article::Article`).
    doc           TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE INDEX articles_created_at ON articles (created_at);

CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, body,
    content = 'articles', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;

CREATE TABLE quotes (
    id          INTEGER PRIMARY KEY,
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    text        TEXT NOT NULL,
    speaker     TEXT,
    paragraph   INTEGER NOT NULL,
    UNIQUE (article_id, position)
);

-- A place where the bot talks: a Discord channel, a Matrix room, the console.
CREATE TABLE channels (
    id           INTEGER PRIMARY KEY,
    platform     TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    name         TEXT,
    -- The daily digest: local time HH:MM in an IANA time zone, and when it was set (a digest
    -- is first due at the first scheduled time after that).
    timezone       TEXT,
    digest_at      TEXT,
    digest_set_at  TEXT,
    created_at     TEXT NOT NULL,
    UNIQUE (platform, external_id)
);

-- An article's discussion in one channel (on Discord and Matrix: a thread).
CREATE TABLE discussions (
    id          INTEGER PRIMARY KEY,
    article_id  INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    channel_id  INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    thread_ref  TEXT,
    created_at  TEXT NOT NULL,
    UNIQUE (article_id, channel_id)
);

CREATE UNIQUE INDEX discussions_thread ON discussions (thread_ref, channel_id) WHERE thread_ref IS NOT NULL;

-- A reader message in a discussion. `body` is NULL once the author deleted it: the store never
-- keeps what the author took back.
CREATE TABLE messages (
    id             INTEGER PRIMARY KEY,
    discussion_id  INTEGER NOT NULL REFERENCES discussions (id) ON DELETE CASCADE,
    platform       TEXT NOT NULL,
    platform_id    TEXT NOT NULL,
    author_id      TEXT NOT NULL,
    author_name    TEXT NOT NULL,
    body           TEXT,
    reply_to       TEXT,
    created_at     TEXT NOT NULL,
    edited_at      TEXT,
    deleted_at     TEXT,
    UNIQUE (platform, platform_id)
);

CREATE INDEX messages_discussion ON messages (discussion_id, created_at);

-- A moderator's pick: a reader message marked as the notable take on its article.
CREATE TABLE pins (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE,
    pinned_by   TEXT NOT NULL,
    note        TEXT,
    pinned_at   TEXT NOT NULL
);

-- One row per channel and local day on which a digest was due.
CREATE TABLE digest_runs (
    id          INTEGER PRIMARY KEY,
    channel_id  INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    local_date  TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'posted', 'empty', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    posted_at   TEXT,
    created_at  TEXT NOT NULL,
    UNIQUE (channel_id, local_date)
);

-- Small per-platform state that must survive restarts (e.g. the Matrix sync token), saved only
-- after the events before it were handled.
CREATE TABLE platform_state (
    platform  TEXT NOT NULL,
    key       TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (platform, key)
);

-- Platform events already handled, so an event delivered again after a crash or restart is
-- answered and recorded once.
CREATE TABLE handled_events (
    platform    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    handled_at  TEXT NOT NULL,
    PRIMARY KEY (platform, event_id)
);

-- An edit or delete that arrived before the message it changes (platforms may deliver events
-- concurrently). Applied when the message is recorded; only kept for tracked threads.
CREATE TABLE pending_changes (
    platform     TEXT NOT NULL,
    platform_id  TEXT NOT NULL,
    body         TEXT,
    deleted      INTEGER NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (platform, platform_id)
);

-- Followed RSS/Atom/JSON feeds: one row per feed however many channels follow it, with its
-- conditional-GET validators and its health.
CREATE TABLE feeds (
    id             INTEGER PRIMARY KEY,
    url            TEXT NOT NULL UNIQUE,
    title          TEXT,
    etag           TEXT,
    last_modified  TEXT,
    interval_secs  INTEGER NOT NULL DEFAULT 900,
    next_poll_at   TEXT NOT NULL,
    failures       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    last_ok_at     TEXT,
    created_at     TEXT NOT NULL
);

CREATE TABLE feed_subscriptions (
    feed_id      INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    channel_id   INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    open_thread  INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (feed_id, channel_id)
);

-- Entries seen in a feed, recognised by GUID, then link, then content hash.
CREATE TABLE feed_entries (
    id            INTEGER PRIMARY KEY,
    feed_id       INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    guid          TEXT,
    link          TEXT,
    content_hash  TEXT NOT NULL,
    article_id    INTEGER REFERENCES articles (id) ON DELETE SET NULL,
    seen_at       TEXT NOT NULL
);
CREATE INDEX feed_entries_guid ON feed_entries (feed_id, guid);
CREATE INDEX feed_entries_link ON feed_entries (feed_id, link);
CREATE INDEX feed_entries_hash ON feed_entries (feed_id, content_hash);

-- An entry owed to a channel; `delivered_at` is set only after the send succeeded.
CREATE TABLE deliveries (
    entry_id      INTEGER NOT NULL REFERENCES feed_entries (id) ON DELETE CASCADE,
    channel_id    INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    delivered_at  TEXT,
    PRIMARY KEY (entry_id, channel_id)
);
