"""An org file as `tongban import-org FILE` meets it: read, parsed, checked, imported."""

from __future__ import annotations

from pathlib import Path

from core.config import Settings
from core.security import Passwords
from directory.importing.checks import check_db, check_plan
from directory.importing.csvfile import parse_csv
from directory.importing.jsonfile import parse_json
from directory.importing.passwords import assign_passwords, write_sheet
from directory.importing.plan import ImportFailed, Loc, OrgPlan, Problems
from directory.importing.writer import do_import_org


def parse_org(text: str, *, fmt: str) -> OrgPlan:
    """Read an org file's text (`fmt` "csv" or "json") and check all it can without a database.

    Raises ImportFailed listing every problem found.
    """
    errors = Problems()
    plan = _parse(text, fmt, errors)
    if errors:
        raise errors.failure()
    return plan


def _parse(text: str, fmt: str, errors: Problems) -> OrgPlan:
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown org file format {fmt!r}: use csv or json")
    text = text.removeprefix("\ufeff")
    plan = parse_csv(text, errors) if fmt == "csv" else parse_json(text, errors)
    if not errors and not (plan.units or plan.people or plan.groups):
        errors.add(Loc("file"), "", "it defines no units, people or groups")
    check_plan(plan, errors)
    return plan


async def import_org_file(path: str, *, settings: Settings) -> str:
    """Check and import an org file (CSV or JSON), all or nothing; returns the summary line.

    Raises ImportFailed listing every problem, and then writes nothing. People given no password
    get a generated one, listed in a file under the data folder that only this account can read.
    """
    text = _read(path)
    errors = Problems()
    plan = _parse(text, _format_of(path, text), errors)
    await check_db(plan, errors)
    if errors:
        raise errors.failure()
    generated = assign_passwords(plan)
    sheet = write_sheet(settings.data_dir, generated) if generated else None
    passwords = Passwords(time_cost=settings.argon2_time_cost,
                          memory_kib=settings.argon2_memory_kib)
    try:
        summary = await do_import_org(plan, passwords=passwords, source=Path(path).name)
    except BaseException:
        if sheet is not None:
            sheet.unlink(missing_ok=True)
        raise
    if sheet is None:
        return str(summary)
    return (f"{summary} {len(generated)} of them had no password: generated ones are in {sheet} "
            "(readable only by you; hand them out, then delete the file).")


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ImportFailed([f"{path}: cannot be read ({exc.strerror or exc})"]) from exc
    except UnicodeDecodeError as exc:  # Excel's plain "CSV" is GBK in China
        hint = "save the file as UTF-8 (in Excel: “CSV UTF-8”)"
        raise ImportFailed([f"{path}: byte {exc.start} is not UTF-8; {hint}"]) from exc


def _format_of(path: str, text: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in (".csv", ".json"):
        return suffix[1:]
    return "json" if text.lstrip().startswith(("{", "[")) else "csv"
