"""Shared test helpers: where ../shared is, and a skip that never fires in CI."""

from __future__ import annotations

import importlib.util
import os
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("SCRAPER_SHARED", ROOT.parent / "shared"))


def require_shared(*parts: str) -> Path:
    """The path under ../shared; skipped with a reason where it is absent, failed in CI."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must have ../shared beside the checkout")
        pytest.skip(f"{path} is absent: the golden tests read ../shared, which this checkout lacks")
    return path


@cache
def shared_score() -> ModuleType:
    """../shared/eval/score.py, imported from where it is (never copied): its metric is the team's."""
    path = require_shared("eval", "score.py")
    spec = importlib.util.spec_from_file_location("shared_score", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
