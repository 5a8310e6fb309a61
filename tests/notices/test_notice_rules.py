"""Rules without a database: TOTP check-in codes (RFC 6238), areas, windows, CSV cells."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notices.audience import outermost
from notices.checkin_code import code_at, code_matches, hotp, seconds_left
from notices.export import cell
from notices.policy import MeetingTimes, area_root, needs_reconfirmation

RFC_SECRET = b"12345678901234567890123456789012"  # RFC 6238 appendix B, SHA-256


@pytest.mark.parametrize("seconds, expected", [
    (59, "46119246"), (1111111109, "68084774"), (1111111111, "67062674"),
    (1234567890, "91819424"), (2000000000, "90698825"), (20000000000, "77737706"),
])
def test_hotp_matches_the_rfc_6238_sha256_vectors(seconds: int, expected: str) -> None:
    assert hotp(RFC_SECRET, seconds // 30, digits=8) == expected


def test_a_code_is_accepted_for_its_step_and_the_next_only() -> None:
    secret = "ab" * 20
    shown_at = datetime(2026, 11, 25, 8, 0, 5, tzinfo=UTC)
    code = code_at(secret, shown_at)
    assert code_matches(secret, code, shown_at)
    assert code_matches(secret, code, shown_at + timedelta(seconds=30))
    assert not code_matches(secret, code, shown_at + timedelta(seconds=60))
    assert not code_matches(secret, code, shown_at - timedelta(seconds=30))
    assert seconds_left(shown_at) == 25


def test_an_office_reaches_the_whole_area_of_its_government() -> None:
    chain = [("/1/", 1), ("/1/2/", 2), ("/1/2/3/", 3), ("/1/2/3/9/", 3), ("/1/2/3/9/12/", 3)]
    assert area_root(chain) == "/1/2/3/"
    assert area_root(chain[:3]) == "/1/2/3/"
    assert area_root([("/1/", 1), ("/1/4/", 4)]) == "/1/4/"


def test_nested_subtrees_are_covered_by_the_outermost() -> None:
    assert outermost(["/1/2/", "/1/2/5/", "/1/20/", "/1/2/"]) == ["/1/2/", "/1/20/"]


def test_checkin_window_and_lateness() -> None:
    start = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    times = MeetingTimes(start, start + timedelta(hours=2), 30, 5)
    assert not times.checkin_open(start - timedelta(minutes=31))
    assert times.checkin_open(start - timedelta(minutes=30))
    assert times.checkin_open(start + timedelta(hours=2))
    assert not times.checkin_open(start + timedelta(hours=2, seconds=1))
    assert not times.is_late(start + timedelta(minutes=5))
    assert times.is_late(start + timedelta(minutes=5, seconds=1))


def test_only_a_time_change_asks_for_confirmation_again() -> None:
    assert needs_reconfirmation(["title", "starts_at"]) and needs_reconfirmation(["ends_at"])
    assert not needs_reconfirmation(["title", "location", "online_url", "agenda", "body"])


def test_csv_cells_show_answers_and_flags_in_words() -> None:
    assert cell("rsvp", "decline") == "请假" and cell("rsvp", "not_named") == "单位未派"
    assert cell("late", True) == "是" and cell("late", False) == "" and cell("read_at", None) is None
