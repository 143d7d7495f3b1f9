-- Pins newest first: `/pins` and the web reader read the latest few, so they walk this index
-- and stop, instead of joining every pin to its message before sorting.
CREATE INDEX pins_recent ON pins (pinned_at DESC, id DESC);
