-- `/article` with no argument shows a community the newest of its shelf and of the library.
-- The library's newest was found by walking the articles from the newest back to the first in
-- the library: every article when the operator has put none there (59 ms at 100,000).
CREATE INDEX articles_library ON articles (id) WHERE library;
