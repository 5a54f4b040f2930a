"""Fixtures for the entrypoint tests."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Remove every TRADING_* variable so only what a test sets is in effect."""
    for name in [name for name in os.environ if name.startswith("TRADING_")]:
        monkeypatch.delenv(name)
    return monkeypatch
