-- A discussion's version changes whenever one of its messages does (an edit, a deletion, a
-- reader forgotten, whatever statement does it), so the web reader can keep a discussion's
-- built reply tree and know when it is stale. New messages need no bump: they change the
-- discussion's message count, and messages are never deleted one by one (only with their
-- discussion).
ALTER TABLE discussions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER messages_changed AFTER UPDATE ON messages
BEGIN
    UPDATE discussions SET version = version + 1
    WHERE id IN (OLD.discussion_id, NEW.discussion_id);
END;
