-- 0002_discovery_resources: what each discovery input (feed, sitemap, robots.txt, section page) answered when
-- it was last read, so the next run asks with a conditional GET instead of downloading it again.
--
-- Its links are not kept: they went into the frontier when it was read, so a 304 has nothing to add. The child
-- sitemaps of a robots.txt or a sitemap index are kept, because an unchanged index must still be walked: its
-- children change on their own.

CREATE TABLE discovery_resources (
    url           TEXT PRIMARY KEY,                   -- as requested: from the config, a robots.txt or an index
    etag          TEXT,
    last_modified TEXT,
    children      TEXT NOT NULL DEFAULT '[]',         -- JSON list of the child sitemaps walked
    checked_at    TEXT NOT NULL                       -- the last read: a 200 or a 304
);
