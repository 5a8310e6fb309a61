from __future__ import annotations

import pytest
from fake_feed import StartFeed
from fake_feed import start_feed as _start_feed


@pytest.fixture
def start_feed() -> StartFeed:
    return _start_feed
