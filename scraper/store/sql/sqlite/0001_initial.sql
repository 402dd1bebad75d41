-- 0001_initial: the frontier, raw pages, articles, runs and locks.
--
-- Every time is ISO-8601 UTC text of one fixed width ('2025-01-02T03:04:05.000000+00:00'), so comparing
-- the text compares the times. `url` everywhere is the normalised URL, the frontier key.

CREATE TABLE frontier (
    url             TEXT PRIMARY KEY,
    site            TEXT NOT NULL,
    source          TEXT NOT NULL DEFAULT '',        -- the feed, sitemap or section it was found in
    title           TEXT,
    published_at    TEXT,
    status          TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'retry', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT NOT NULL,
    last_cause      TEXT,
    last_error      TEXT,
    etag            TEXT,
    last_modified   TEXT,
    discovered_at   TEXT NOT NULL,
    checked_at      TEXT                              -- last attempt: a fetch, a 304 or a failure
);

CREATE INDEX frontier_due ON frontier (status, next_attempt_at);
CREATE INDEX frontier_site ON frontier (site);

-- The last response per URL, kept raw so pages can be re-cleaned when the rules improve.
CREATE TABLE pages (
    url           TEXT PRIMARY KEY REFERENCES frontier (url) ON DELETE CASCADE,
    requested_url TEXT NOT NULL,
    final_url     TEXT NOT NULL,
    status        INTEGER NOT NULL,
    content_type  TEXT,
    etag          TEXT,
    last_modified TEXT,
    headers       TEXT NOT NULL DEFAULT '[]',         -- JSON [[name, value], ...]
    body          BLOB,                               -- zlib-compressed; NULL when raw pages are not kept
    body_size     INTEGER NOT NULL,                   -- bytes before compression
    fetched_at    TEXT NOT NULL
);

-- An article cannot exist without its page: the foreign key and one transaction per save make sure of it.
CREATE TABLE articles (
    url           TEXT PRIMARY KEY REFERENCES pages (url) ON DELETE CASCADE,
    site          TEXT NOT NULL,                      -- the frontier's site, copied for filtering
    requested_url TEXT NOT NULL,
    canonical_url TEXT,
    article_url   TEXT,                               -- Article.url, as the cleaner was given it
    article_site  TEXT,                               -- Article.site, the host the rules were picked by
    title         TEXT,
    author        TEXT,
    date          TEXT,
    dateline      TEXT,
    language      TEXT,
    paragraphs    TEXT NOT NULL,                      -- JSON list of strings
    tags          TEXT NOT NULL,                      -- JSON list of strings
    removed       TEXT NOT NULL,                      -- JSON list of {text, rule, stage}
    removed_count INTEGER NOT NULL,
    content_hash  TEXT NOT NULL,                      -- sha256 of the text
    rules_version TEXT NOT NULL,
    extracted_at  TEXT NOT NULL
);

CREATE INDEX articles_site ON articles (site);

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,                                 -- NULL: running, or killed
    stats       TEXT NOT NULL DEFAULT '{}'            -- JSON object of counters
);

-- Named locks with an expiry, so a crashed run's lock does not block the next run forever.
CREATE TABLE locks (
    name        TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
