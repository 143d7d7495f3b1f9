-- Each message remembers the discussion version its last change made (`changed_in`), so the
-- web reader can read just the messages changed since the version it holds instead of the
-- whole discussion. The trigger of 0009 now also stamps the changed row; it fires on the
-- columns a reader can change, so the stamp itself does not fire it again.
ALTER TABLE messages ADD COLUMN changed_in INTEGER NOT NULL DEFAULT 0;

DROP TRIGGER messages_changed;

CREATE TRIGGER messages_changed
AFTER UPDATE OF discussion_id, author_id, author_name, body, reply_to, edited_at, deleted_at
ON messages
BEGIN
    UPDATE discussions SET version = version + 1
    WHERE id IN (OLD.discussion_id, NEW.discussion_id);
    UPDATE messages SET changed_in = (SELECT version FROM discussions WHERE id = NEW.discussion_id)
    WHERE id = NEW.id;
END;
