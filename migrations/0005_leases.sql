-- Leases: work one process of several claims for a while (a digest due, a feed to poll, a post
-- owed, the Matrix connection). A lease not renewed by `expires_at` may be taken over, so a
-- crashed holder's work is done by another. Never edit a landed migration; add a new file.

CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
