"""Shared test helpers: where ../shared is, and a skip that never fires in CI."""

from __future__ import annotations

import os
from pathlib import Path

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
