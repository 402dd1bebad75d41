-- 0001_initial: the frontier, raw pages, articles, runs and locks (the PostgreSQL twin of sql/sqlite/0001).
--
-- Tables are created in the first schema of the search_path, so one database can hold several stores
-- (`?options=-csearch_path%3Dname` in the URL). Times are timestamptz. Every `url` is the normalised URL,
-- the frontier key. URLs and sites are in the "C" collation: byte order, the order SQLite and Python sort
-- text in, so export, keyset paging and stats order them the same on every backend whatever the locale.

CREATE TABLE frontier (
    url             text COLLATE "C" PRIMARY KEY,
    site            text COLLATE "C" NOT NULL,
    source          text NOT NULL DEFAULT '',         -- the feed, sitemap or section it was found in
    title           text,
    published_at    timestamptz,
    status          text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'retry', 'done', 'failed')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    last_cause      text,
    last_error      text,
    etag            text,
    last_modified   text,
    discovered_at   timestamptz NOT NULL,
    checked_at      timestamptz                       -- last attempt: a fetch, a 304 or a failure
);

CREATE INDEX frontier_due ON frontier (status, next_attempt_at);
CREATE INDEX frontier_site ON frontier (site);

-- The last response per URL, kept raw so pages can be re-cleaned when the rules improve.
CREATE TABLE pages (
    url           text COLLATE "C" PRIMARY KEY REFERENCES frontier (url) ON DELETE CASCADE,
    requested_url text NOT NULL,
    final_url     text NOT NULL,
    status        integer NOT NULL,
    content_type  text,
    etag          text,
    last_modified text,
    headers       jsonb NOT NULL DEFAULT '[]',         -- [[name, value], ...]
    body          bytea,                               -- zlib-compressed; NULL when raw pages are not kept
    body_size     integer NOT NULL,                    -- bytes before compression
    fetched_at    timestamptz NOT NULL
);

-- Export walks pages by (fetched_at, url): the index serves both its order and its keyset condition.
CREATE INDEX pages_fetched ON pages (fetched_at, url);

-- An article cannot exist without its page: the foreign key and one transaction per save make sure of it.
CREATE TABLE articles (
    url           text COLLATE "C" PRIMARY KEY REFERENCES pages (url) ON DELETE CASCADE,
    site          text COLLATE "C" NOT NULL,           -- the frontier's site, copied for filtering
    requested_url text NOT NULL,
    canonical_url text,
    article_url   text,                                -- Article.url, as the cleaner was given it
    article_site  text,                                -- Article.site, the host the rules were picked by
    title         text,
    author        text,
    date          text,                                -- as extracted (ISO date text), not parsed
    dateline      text,
    language      text,
    paragraphs    text[] NOT NULL,
    tags          text[] NOT NULL,
    removed       jsonb NOT NULL,                      -- [{text, rule, stage}, ...]
    removed_count integer NOT NULL,
    content_hash  text NOT NULL,                       -- sha256 of the text
    rules_version text NOT NULL,
    extracted_at  timestamptz NOT NULL
);

CREATE INDEX articles_site ON articles (site);

CREATE TABLE runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,                           -- NULL: running, or killed
    stats       jsonb NOT NULL DEFAULT '{}'            -- counters
);

-- Named locks with an expiry, so a crashed run's lock does not block the next run forever.
CREATE TABLE locks (
    name        text PRIMARY KEY,
    owner       text NOT NULL,
    acquired_at timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
