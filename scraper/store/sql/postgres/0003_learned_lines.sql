-- 0003_learned_lines: paragraphs learned as one host's noise because they recur across its stored articles
-- (scraper/learned.py; the PostgreSQL twin of sql/sqlite/0003). `scraper rules learn` replaces a host's lines
-- as a whole; every pass and `reprocess` apply them as the rule `learned:<host>`.

CREATE TABLE learned_lines (
    host       text COLLATE "C" NOT NULL,             -- the store's site: the host the articles came from
    line       text COLLATE "C" NOT NULL,             -- as first seen; matched whole, any case, any number
    pages      integer NOT NULL CHECK (pages > 0),    -- distinct articles it was seen on
    articles   integer NOT NULL CHECK (articles > 0), -- distinct articles of the host it was learned from
    learned_at timestamptz NOT NULL,
    PRIMARY KEY (host, line)
);
