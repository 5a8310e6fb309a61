"""The rules of documents that need no database: labels, element rules, numbers, overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.errors import Conflict, Unprocessable
from documents.policy import (
    DocType, State, check_elements, conflict, format_number, from_label, is_overdue, number_year,
)

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def elements(**changes: object) -> dict[str, object]:
    return {"doc_type": "notice", "urgency": "normal", "secrecy": "none", "deadline": None,
            "signer_id": None, "written_on": None, "printed_on": None, **changes}


def refusal(**changes: object) -> str:
    with pytest.raises(Unprocessable) as caught:
        check_elements(elements(**changes), now=NOW)
    return caught.value.slug


def test_chinese_terms_become_words() -> None:
    assert from_label("doc_type", "请示") == "request"
    assert from_label("doc_type", "令") == "order"
    assert from_label("urgency", "特急") == "critical"
    assert from_label("secrecy", "内部") == "internal"
    assert from_label("secrecy", "绝密") == "top_secret"
    assert from_label("doc_type", "notice") == "notice"
    assert len(DocType) == 15


def test_the_element_rules() -> None:
    check_elements(elements(), now=NOW)
    check_elements(elements(secrecy="internal"), now=NOW)
    for level in ("secret", "confidential", "top_secret"):
        assert refusal(secrecy=level) == "classified-refused"
    assert refusal(doc_type="request") == "signer-required"
    assert refusal(doc_type="report") == "signer-required"
    check_elements(elements(doc_type="report", signer_id=7), now=NOW)
    assert refusal(urgency="urgent") == "deadline-required"
    assert refusal(urgency="critical", deadline=NOW - timedelta(minutes=1)) == \
        "deadline-in-past"
    check_elements(elements(urgency="critical", deadline=NOW + timedelta(hours=1)), now=NOW)
    check_elements(elements(urgency="urgent", deadline=NOW - timedelta(hours=1)), now=NOW,
                   new_deadline=False)  # kept from before, passed since
    assert refusal(written_on=date(2026, 6, 2), printed_on=date(2026, 6, 1)) == \
        "printed-before-written"


def test_numbers_follow_gbt_9704_and_the_year_in_beijing() -> None:
    assert format_number("黔府办发", 2026, 12) == "黔府办发〔2026〕12号"
    assert number_year(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == 2026
    assert number_year(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == 2027


def test_overdue_and_the_archived_conflict() -> None:
    past, future = NOW - timedelta(days=1), NOW + timedelta(days=1)
    assert is_overdue(past, "handling", NOW) and not is_overdue(future, "handling", NOW)
    assert not is_overdue(past, "done", NOW) and not is_overdue(None, "handling", NOW)
    assert isinstance(conflict(State.ARCHIVED, "edited"), Conflict)
    assert conflict(State.ARCHIVED, "edited").slug == "document-archived"
    assert conflict(State.DRAFT, "issued").slug == "document-state"
