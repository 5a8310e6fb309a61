"""The one convention of every CSV export (registers, ledgers, receipts), without a database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone

from core.spreadsheet import beijing, cell, head, line


def test_beijing_writes_any_moment_in_beijing_time_with_its_offset() -> None:
    moment = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
    assert beijing(moment) == "2026-03-01 09:30:00+08:00"
    assert beijing(moment.astimezone(timezone(timedelta(hours=-5)))) == beijing(moment)
    assert datetime.fromisoformat(beijing(moment)) == moment


def test_beijing_keeps_dates_and_nothing_as_they_are() -> None:
    assert beijing(date(2026, 3, 1)) == "2026-03-01" and beijing(None) == ""


def test_cells_never_become_formulas_but_numbers_stay_numbers() -> None:
    for risky in ("=HYPERLINK(1)", "+1", "-x", "@A1", "\tx", "\rx"):
        assert cell(risky) == "'" + risky
    assert cell(-5) == "-5" and cell(2.5) == "2.5" and cell(None) == ""


def test_an_export_starts_with_a_bom_and_quotes_as_csv_does() -> None:
    text = (head(["单位", "姓名"]) + line(["县水利局", "张, 三"]).encode()).decode("utf-8")
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:]))) == [["单位", "姓名"], ["县水利局", "张, 三"]]
