"""`tongban import-org` and the demo province: all or nothing, every problem named by its place."""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from tortoise.context import TortoiseContext

from core.audit import verify_chain
from core.bus import MemoryBus, current_bus, install_bus
from core.config import Settings
from core.db import migrate
from core.models import AuditEntry, Event
from core.security import Passwords
from directory import importing
from directory.importing import ImportFailed, import_org_file, parse_org
from directory.models import Group, GroupMember, Person, Position, Unit
from directory.policy import MAX_DEPTH
from server.apps import database_config
from server.demo import DEMO_PASSWORD, load_demo, load_demo_if_empty

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
HEADER = "type,ref,name,level,parent,username,display_name,password,unit,title,roles\n"


@pytest.fixture(scope="module")
async def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, fully migrated database file, copied for each test (migrating takes a second)."""
    path = tmp_path_factory.mktemp("import-org") / "template.sqlite3"
    if not os.environ.get("TONGBAN_TEST_DATABASE_URL"):
        await migrate(database_config(f"sqlite://{path}"))
    return path


async def private_database(tmp_path: Path, template: Path) -> str:
    """A fresh database of the engine under test.

    On PostgreSQL it is a database of its own (`<test db>_import`): the models are bound to
    one SQL dialect at a time, so an SQLite side database would break the PostgreSQL server.
    """
    main = os.environ.get("TONGBAN_TEST_DATABASE_URL")
    if not main:
        shutil.copyfile(template, tmp_path / "t.sqlite3")
        return f"sqlite://{tmp_path}/t.sqlite3"
    url = f"{main}_import"
    conn = await asyncpg.connect(main.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"')
        await conn.execute(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"')
    finally:
        await conn.close()
    await migrate(database_config(url))
    return url


@pytest.fixture
async def settings(tmp_path: Path, migrated: Path) -> AsyncIterator[Settings]:
    """A private database and bus for each test, whatever else this process is serving.

    `core.db.open_db` would replace the process-wide context that a session's test server
    uses; a tortoise context made current for this test only (it wins over the global
    fallback) leaves that server, and its bus, untouched.
    """
    url = await private_database(tmp_path, migrated)
    config = database_config(url)
    server_bus = current_bus()
    install_bus(MemoryBus())
    context = TortoiseContext()
    with context:
        await context.init(config=config)
        try:
            yield Settings(data_dir=tmp_path, database_url=url, bus_url="memory://",
                           secret_key="test", argon2_time_cost=1, argon2_memory_kib=1024)
        finally:
            await context.close_connections()
            install_bus(server_bus)


def passwords(settings: Settings) -> Passwords:
    return Passwords(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib)


def org_file(settings: Settings, name: str, content: str | dict[str, object]) -> str:
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    path = settings.data_dir / name
    path.write_text(text, encoding="utf-8")
    return str(path)


async def row_counts() -> tuple[int, ...]:
    tables = (Unit, Person, Position, Group, GroupMember, AuditEntry, Event)
    return tuple([await table.all().count() for table in tables])


async def assert_paths_consistent() -> None:
    units = {unit.id: unit for unit in await Unit.all()}
    for unit in units.values():
        parent = units.get(unit.parent_id) if unit.parent_id else None
        assert unit.path == f"{parent.path if parent else '/'}{unit.id}/"
        assert unit.depth == (parent.depth + 1 if parent else 1)


@pytest.mark.parametrize("example", ["org.csv", "org.json"])
async def test_import_org_example_builds_tree_people_and_groups(
    settings: Settings, example: str
) -> None:
    summary = await import_org_file(str(EXAMPLES / example), settings=settings)

    assert summary == "Imported 9 units, 7 people, 1 group."
    await assert_paths_consistent()
    grid = await Unit.get(name="良和村第一网格")
    assert (grid.level, grid.depth) == (6, 6)
    ancestors = await Unit.filter(id__in=[int(i) for i in grid.path.strip("/").split("/")])
    assert {unit.name for unit in ancestors} >= {"贵州省", "都匀市", "墨冲镇", "良和村"}
    wangfang = await Person.get(username="wangfang")
    posts = await Position.filter(person_id=wangfang.id).order_by("id").prefetch_related("unit")
    assert [(p.unit.name, p.title, p.roles, p.is_primary) for p in posts] == [
        ("墨冲镇", "文书", ["clerk"], True), ("良和村第一网格", "网格员", [], False)]
    leader = await Position.get(person__username="liuqiang")
    assert leader.roles == ["leader", "unit_admin"]
    county = await Unit.get(name="都匀市").prefetch_related("desk")
    assert county.desk is not None and county.desk.name == "都匀市人民政府办公室"
    assert passwords(settings).verify(wangfang.password_hash, "change-me-2026")
    group = await Group.get(name="防汛工作专班").prefetch_related("owner")
    assert group.owner.username == "liuqiang"
    assert await GroupMember.filter(group_id=group.id).count() == 6
    audit = await AuditEntry.get(action="org.import")
    assert json.loads(audit.detail) == {"units": 9, "people": 7, "groups": 1, "source": example}
    assert (await verify_chain()).ok


async def test_import_org_bad_csv_reports_every_problem_and_imports_nothing(
    settings: Settings,
) -> None:
    await import_org_file(str(EXAMPLES / "org.json"), settings=settings)
    before = await row_counts()
    rows = [
        "unit,gz2,贵州省,province,,,,,,,",                           # 2: fine
        "unit,zy,遵义市,city,qn-dy,,,,,,",                           # 3: unknown parent
        "unit,zy,遵义市,city,gz2,,,,,,",                             # 4: duplicate ref
        "unit,hh,红花岗区,capital,zy,,,,,,",                          # 5: bad level
        "person,,,,,Zhang Wei,张伟,secret,zy,主任,boss",              # 6: username, password, role
        "person,,,,,lina,李娜,long-enough,zy,区长,leader",            # 7: taken in the database
        "person,,,,,newbie,新人,long-enough,,,",                     # 8: no unit
        "office,,办公室,,,,,,,,",                                    # 9: unknown type
    ]
    path = org_file(settings, "bad.csv", HEADER + "\n".join(rows) + "\n")

    with pytest.raises(ImportFailed) as failed:
        await import_org_file(path, settings=settings)

    assert failed.value.errors == [
        'line 3: parent "qn-dy" is not defined',
        'line 4: ref "zy" is already used at line 3',
        'line 5: level "capital" is not a level (use 1–6, province … grid, or 省 … 网格)',
        "line 6: username \"Zhang Wei\" must be 2–64 of a–z, 0–9, '_', '.', '-'",
        "line 6: password is shorter than 8 characters",
        'line 6: unknown role "boss" (use unit_admin, clerk, leader)',
        'line 7: username "lina" already exists in the database',
        "line 8: unit is required",
        'line 9: type "office" is not unit, person or group',
    ]
    assert await row_counts() == before


async def test_import_org_unknown_column_is_reported_on_line_1(settings: Settings) -> None:
    path = org_file(settings, "org.csv", "type,ref,name,level,parnet\nunit,a,甲,1,\n")

    with pytest.raises(ImportFailed) as failed:
        await import_org_file(path, settings=settings)

    assert failed.value.errors[0].startswith('line 1: column "parnet" is unknown')


async def test_import_org_json_problems_name_their_field(settings: Settings) -> None:
    path = org_file(settings, "org.json", {
        "units": [{"ref": "a", "name": "甲", "level": 1, "parent": None},
                  {"ref": "b", "name": "乙" * 129, "level": "city", "parent": "a", "x": 1}],
        "people": [{"username": "ok", "display_name": "某", "password": "long-enough",
                    "positions": [{"unit": "zz"}]}],
        "groups": [{"name": "组", "owner": "ghost"}],
    })

    with pytest.raises(ImportFailed) as failed:
        await import_org_file(path, settings=settings)

    assert failed.value.errors == [
        'units[1]: unknown field "x" (use ref, name, level, parent, desk)',
        "units[1].name: name has 129 characters (at most 128)",
        'people[0].positions[0].unit: unit "zz" is not defined',
        'groups[0].owner: "ghost" is neither in the file nor an active person in the database',
    ]
    assert await row_counts() == (0, 0, 0, 0, 0, 0, 0)


async def test_import_org_json_syntax_error_gives_its_line(settings: Settings) -> None:
    path = org_file(settings, "org.json", '{"units": [\n  {"ref": "a" "name": "甲"}\n]}')

    with pytest.raises(ImportFailed) as failed:
        await import_org_file(path, settings=settings)

    assert failed.value.errors == ["line 2, column 15: not valid JSON: Expecting ',' delimiter"]


async def test_import_org_attaches_to_existing_unit_by_id(settings: Settings) -> None:
    await import_org_file(str(EXAMPLES / "org.json"), settings=settings)
    county = await Unit.get(name="都匀市")
    path = org_file(settings, "more.csv", "\ufeff" + HEADER + "\n".join([
        f"unit,pl,平浪镇,township,#{county.id},,,,,,",
        "unit,pl-1,凯口村,village,pl,,,,,,",
        f"person,,,,,zhoulin,周琳,long-enough,#{county.id},副市长,leader",
        "person,,,,,zhoulin,,,pl,挂职,",
    ]) + "\n")

    summary = await import_org_file(path, settings=settings)

    assert summary == "Imported 2 units, 1 person, 0 groups."
    village = await Unit.get(name="凯口村")
    assert village.path.startswith(county.path) and village.depth == county.depth + 2
    await assert_paths_consistent()
    events = await Event.filter(kind="org.unit.changed", audience=f"unit:{county.id}")
    assert len(events) == 1
    township = await Unit.get(name="平浪镇")
    assert json.loads(events[0].data) == {
        "unit_id": county.id, "name": "都匀市", "change": "imported",
        "child_ids": [township.id], "people_added": 1}
    assert not await Event.filter(audience=f"unit:{township.id}").exists()
    assert (await verify_chain()).ok


async def test_import_org_refuses_unit_id_that_does_not_exist(settings: Settings) -> None:
    path = org_file(settings, "org.json", {"units": [
        {"ref": "a", "name": "甲", "level": "township", "parent": 999}]})

    with pytest.raises(ImportFailed) as failed:
        await import_org_file(path, settings=settings)

    assert failed.value.errors == ["units[0].parent: parent #999 is not an existing unit"]


async def test_import_org_refuses_username_taken_in_database(settings: Settings) -> None:
    await import_org_file(str(EXAMPLES / "org.csv"), settings=settings)
    before = await row_counts()
    path = org_file(settings, "again.json", {"people": [
        {"username": "zhangwei", "display_name": "张伟", "password": "long-enough",
         "positions": [{"unit": f"#{(await Unit.get(name='贵州省')).id}"}]}]})

    with pytest.raises(ImportFailed) as failed:
        await import_org_file(path, settings=settings)

    assert failed.value.errors == [
        'people[0].username: username "zhangwei" already exists in the database']
    assert await row_counts() == before


async def test_import_org_refuses_level_above_parent(settings: Settings) -> None:
    await import_org_file(str(EXAMPLES / "org.json"), settings=settings)
    county = await Unit.get(name="都匀市")
    path = org_file(settings, "org.json", {"units": [
        {"ref": "c", "name": "某市", "level": "city", "parent": f"#{county.id}"},
        {"ref": "t", "name": "某镇", "level": "township", "parent": None},
        {"ref": "p", "name": "某省", "level": 1, "parent": "t"}]})

    with pytest.raises(ImportFailed) as failed:
        await import_org_file(path, settings=settings)

    assert failed.value.errors == [
        "units[0].level: level city (市) is above its parent's level county (县)",
        "units[2].level: level province (省) is above its parent's level township (乡镇)",
    ]


def test_parse_org_refuses_a_desk_that_is_not_an_office_under_the_unit() -> None:
    units = [{"ref": "c", "name": "某县", "level": 3, "desk": "t"},
             {"ref": "o", "name": "某县办公室", "level": 3, "parent": "c", "desk": "x"},
             {"ref": "t", "name": "某镇", "level": 4, "parent": "c"},
             {"ref": "n", "name": "邻县", "level": 3, "desk": "o"},
             {"ref": "m", "name": "某市", "level": 2, "desk": "#5"}]

    with pytest.raises(ImportFailed) as failed:
        parse_org(json.dumps({"units": units}), fmt="json")

    assert failed.value.errors == [
        "units[0].desk: desk \"t\" is not at the unit's own level",
        "units[1].desk: desk \"x\" is not defined",
        "units[3].desk: desk \"o\" is not a unit under n",
        "units[4].desk: desk must be the ref of a unit in this file (its office)",
    ]


def test_parse_org_reports_loops_and_too_deep_branches() -> None:
    units = [{"ref": "x", "name": "甲", "level": 1, "parent": "y"},
             {"ref": "y", "name": "乙", "level": 1, "parent": "x"}]
    units += [{"ref": f"d{i}", "name": f"部门{i}", "level": 1,
               "parent": f"d{i - 1}" if i else None} for i in range(MAX_DEPTH + 2)]

    with pytest.raises(ImportFailed) as failed:
        parse_org(json.dumps({"units": units}), fmt="json")

    assert failed.value.errors == [
        "units[0].parent: parents go round in a loop: x → y → x",
        f"units[{MAX_DEPTH + 2}].parent: units may nest at most {MAX_DEPTH} deep",
    ]


async def test_import_org_generates_missing_passwords_into_private_file(
    settings: Settings,
) -> None:
    path = org_file(settings, "org.csv", HEADER + "unit,a,甲,1,,,,,,,\n"
                                                  "person,,,,,nopw,无密码,,a,科员,\n")

    summary = await import_org_file(path, settings=settings)

    sheet = next((settings.data_dir / "imports").glob("passwords-*.csv"))
    assert str(sheet) in summary and "1 of them had no password" in summary
    assert stat.S_IMODE(sheet.stat().st_mode) == 0o600
    username, password = sheet.read_text().splitlines()[1].split(",")
    person = await Person.get(username=username)
    assert username == "nopw" and passwords(settings).verify(person.password_hash, password)


async def test_import_org_failure_while_writing_leaves_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(importing.writer, "_insert_groups", broken)

    with pytest.raises(RuntimeError):
        await import_org_file(str(EXAMPLES / "org.json"), settings=settings)

    assert await row_counts() == (0, 0, 0, 0, 0, 0, 0)


async def test_load_demo_builds_province_with_working_logins(settings: Settings) -> None:
    text = await load_demo(settings=settings)

    assert "password: tongban2026" in text and "zhangwei" in text and "lina" in text
    assert await Person.all().count() >= 150
    admin = await Person.get(username="admin")
    assert admin.is_admin and passwords(settings).verify(admin.password_hash, DEMO_PASSWORD)
    clerk = await Position.get(person__username="zhangwei").prefetch_related("unit")
    assert clerk.roles == ["clerk"] and clerk.unit.name == "贵州省人民政府办公厅"
    assert await Group.all().count() == 4
    assert sum("unit_admin" in post.roles for post in await Position.all()) >= 3
    await assert_paths_consistent()
    # the stories: a 市长批示 on a 收文, a 转发 to the counties, an 办公厅督办
    from documents.models import Delivery, Document
    from supervision.models import Task

    assert "wangjun" in text and "办公厅督办" in text
    instructed = await Delivery.get(instructed_by_id__not_isnull=True)
    assert instructed.instructed_by_id == (await Person.get(username="wangjun")).id
    forward = await Document.get(forwards_id__not_isnull=True, source_id=None)
    assert (forward.doc_number or "").startswith("遵府办发")
    assert await Document.filter(source_id=forward.id).count() == 3
    acting = await Task.get(acting_unit_id__not_isnull=True).prefetch_related("origin_unit")
    assert acting.origin_unit.name == "贵州省" and acting.creator_id == (
        await Person.get(username="liuqiang")).id
    assert (await verify_chain()).ok


async def test_load_demo_if_empty_loads_only_once(settings: Settings) -> None:
    first = await load_demo_if_empty(settings=settings)
    before = await row_counts()

    second = await load_demo_if_empty(settings=settings)

    assert first.startswith("Demo province loaded: 贵州省")
    assert second == "Database already has data; demo not loaded."
    assert await row_counts() == before
