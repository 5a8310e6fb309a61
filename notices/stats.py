"""The publisher's statistics (统计): counts and lists per unit, the recipient list, CSV export.

Counts come from one grouped query over the recipient rows, each status counted with the
filter that defines it (`notices.selection`). Units are those the recipients were in when the
notice was sent, so the figures still name who was asked after people move.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from tortoise.functions import Count

from core.clock import utcnow
from core.http import decode_cursor, page
from directory.models import Unit
from notices.models import Notice, NoticeRecipient
from notices.policy import Kind
from notices.selection import STATUS
from notices.unit_replies import unit_replies_of
from notices.views import RECEIPT_FIELDS, receipt_from

LIST_LIMIT = 2000  # beyond this many recipients, lists come per unit or through `recipients`
NOTICE_COUNTS = ("unread", "read")
CONFIRM_COUNTS = ("confirmed", "unconfirmed")
MEETING_COUNTS = ("expected", "attending", "declined", "substituted", "unanswered", "reconfirm",
                  "checked_in", "late", "absent", "substitutes", "not_named")
NOT_YET = ("absent",)  # nobody is absent from a meeting that has not started


def counted(notice: Notice) -> tuple[str, ...]:
    """The statuses that mean something for this notice."""
    names = NOTICE_COUNTS + (CONFIRM_COUNTS if notice.requires_confirmation else ())
    return names + (MEETING_COUNTS if notice.kind == Kind.MEETING else ())


def started(notice: Notice) -> bool:
    return bool(notice.starts_at and utcnow() >= notice.starts_at)


def measured(notice: Notice) -> tuple[str, ...]:
    """The statuses counted now: `absent` only once the meeting has started."""
    return tuple(n for n in counted(notice) if started(notice) or n not in NOT_YET)


async def notice_stats(notice: Notice, *, unit_id: int | None = None) -> dict[str, Any]:
    """Totals and per-unit counts; with lists of people when few enough are selected. `absent`
    stays 0 (and its list empty) until the meeting starts."""
    names, measuring = counted(notice), measured(notice)
    query = NoticeRecipient.filter(notice_id=notice.id)
    if unit_id is not None:
        query = query.filter(unit_id=unit_id)
    rows = [{**dict.fromkeys(names, 0), **row}
            for row in await _grouped_counts(query, measuring)]
    units = await _unit_names([row["unit_id"] for row in rows])
    per_unit = [_unit_entry(row, names, units) for row in sorted(rows, key=_unit_order)]
    total = sum(row["total"] for row in rows)
    lists = await _lists(notice, measuring, unit_id) if total <= LIST_LIMIT else None
    for entry in per_unit:
        entry["lists"] = {**_empty(names), **lists.get(entry["unit_id"], {})} \
            if lists is not None else None
    return {
        "notice_id": notice.id, "kind": notice.kind, "revision": notice.revision,
        "meeting_started": started(notice),
        "totals": {"total": total, **{n: sum(row[n] for row in rows) for n in names}},
        "units": per_unit, "lists_omitted": lists is None,
        "unit_replies": await unit_replies_of(notice) if notice.kind == Kind.MEETING else [],
    }


async def _grouped_counts(query: Any, names: tuple[str, ...]) -> list[dict[str, Any]]:
    """One row per unit: the total and each status's count (annotation names are prefixed,
    since some statuses share a name with a column, like `late`)."""
    aggregates = {f"n_{name}": Count("id", _filter=STATUS[name]) for name in names}
    rows = await query.annotate(n_total=Count("id"), **aggregates).group_by("unit_id")\
        .values("unit_id", "n_total", *aggregates)
    return [{"unit_id": row["unit_id"], "total": row["n_total"],
             **{name: row[f"n_{name}"] for name in names}} for row in rows]


def _unit_order(row: dict[str, Any]) -> int:
    return row["unit_id"] if row["unit_id"] is not None else -1


async def _unit_names(ids: list[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    return dict(await Unit.filter(id__in=wanted).values_list("id", "name")) if wanted else {}


def _unit_entry(row: dict[str, Any], names: tuple[str, ...], units: dict[int, str]
                ) -> dict[str, Any]:
    return {"unit_id": row["unit_id"], "unit_name": units.get(row["unit_id"]),
            "counts": {"total": row["total"], **{name: row[name] for name in names}}}


def _empty(names: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    return {name: [] for name in names}


async def _lists(notice: Notice, names: tuple[str, ...], unit_id: int | None
                 ) -> dict[int | None, dict[str, list[dict[str, Any]]]]:
    """Per unit and status, the people in it (with the reason for a decline)."""
    base = NoticeRecipient.filter(notice_id=notice.id)
    if unit_id is not None:
        base = base.filter(unit_id=unit_id)
    rows = {row["person_id"]: row for row in await _described_values(base)}
    found: dict[int | None, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: _empty(names))
    for name in names:
        # Sorted here: ORDER BY person_id would tempt SQLite into the (notice, person) index
        # and a scan of every recipient of the notice instead of one unit's.
        for person_id in sorted(await base.filter(STATUS[name]).values_list("person_id",
                                                                             flat=True)):
            row = rows[person_id]
            found[row["unit_id"]][name].append(_person_item(row, name))
    return found


def _person_item(row: dict[str, Any], status: str) -> dict[str, Any]:
    item: dict[str, Any] = {"person_id": row["person_id"], "display_name": row["display_name"]}
    if status == "declined":
        item["reason"] = row["rsvp_reason"]
    if status == "substituted":
        item["substitute_id"] = row["substitute_id"]
    return item


async def _described_values(query: Any) -> list[dict[str, Any]]:
    """Rows with the person's name and the unit's name, joined in the same query."""
    return list(await query.values("id", *RECEIPT_FIELDS, display_name="person__display_name",
                                   unit_name="unit__name"))


def described(row: dict[str, Any]) -> dict[str, Any]:
    return {**receipt_from(row), "display_name": row["display_name"],
            "unit_name": row["unit_name"]}


async def recipients_page(
    notice: Notice, *, status: str | None, unit_id: int | None, limit: int, cursor: str | None
) -> dict[str, Any]:
    """Recipients with their receipts (reasons included: the publisher's view), by row id."""
    query = NoticeRecipient.filter(notice_id=notice.id)
    if status in NOT_YET and not started(notice):
        query = query.filter(id__lt=0)  # nobody is absent yet
    elif status is not None:
        query = query.filter(STATUS[status])
    if unit_id is not None:
        query = query.filter(unit_id=unit_id)
    after = decode_cursor(cursor)
    if after is not None:
        query = query.filter(id__gt=after)
    rows = await _described_values(query.order_by("id").limit(limit + 1))
    result = page(rows, limit=limit, key=lambda row: row["id"])
    result["items"] = [described(row) for row in result["items"]]
    return result


async def all_recipients(notice: Notice, *, batch: int = 1000
                         ) -> AsyncIterator[list[dict[str, Any]]]:
    """Every recipient's row values with the names of the person and unit, a batch at a time
    (for the CSV export: times stay datetimes, for the export's own convention)."""
    after = 0
    while True:
        query = NoticeRecipient.filter(notice_id=notice.id, id__gt=after).order_by("id")
        rows = await _described_values(query.limit(batch))
        if not rows:
            return
        yield rows
        after = rows[-1]["id"]
