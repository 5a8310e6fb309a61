"""`tongban import-org FILE`: units, people and groups from one CSV or JSON file, all or nothing.

The whole file is read and checked before anything is written, and every problem is reported with
its place (`line 7: …` for CSV, `units[3].level: …` for JSON). Passwords are then hashed outside
the transaction (Argon2 is slow and SQLite has one writer for the whole process), and everything
is written in one `atomic()` block with bulk inserts and a single audit entry. The format is
described in docs/import-org.md.

Modules: `plan` (what a file asks for), `fields`, `csvfile` and `jsonfile` (reading it), `checks`
(with and without the database), `passwords`, `writer` (`do_import_org`) and `orgfile` (the
command's entry points).
"""

from __future__ import annotations

from directory.importing.orgfile import import_org_file, parse_org
from directory.importing.plan import (
    GroupPlan,
    ImportFailed,
    ImportSummary,
    Loc,
    OrgPlan,
    PersonPlan,
    PositionPlan,
    UnitPlan,
)
from directory.importing.writer import do_import_org

__all__ = [
    "GroupPlan",
    "ImportFailed",
    "ImportSummary",
    "Loc",
    "OrgPlan",
    "PersonPlan",
    "PositionPlan",
    "UnitPlan",
    "do_import_org",
    "import_org_file",
    "parse_org",
]
