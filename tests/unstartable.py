"""A cleaner module that imports in the test process but not in a spawned worker (as a cleaner defined in a
notebook or a script's __main__ cannot be imported there): the pool's failure, not the page's."""

from __future__ import annotations

import os

from scraper.models import Article, Page
from scraper.pipeline import clean_page
from scraper.rules import RuleBook

PARENT = "SCRAPER_TEST_CLEANER_PARENT"  # the pid of the one process that may import this module

if os.environ.get(PARENT, str(os.getpid())) != str(os.getpid()):
    raise ImportError("this cleaner cannot be imported in a worker process")


def clean(page: Page, rules: RuleBook) -> tuple[Article, str | None]:
    return clean_page(page, rules)
