"""The demo province for `tongban demo` and `tongban serve --demo`: 贵州省, loaded by the importer.

Three cities (市/州), eight counties (县/区/县级市), twenty townships (乡镇), some villages (村) and
grids (网格), each government with its office (办公厅/办公室) named as its document desk, about two
hundred officials and four groups; then the stories of `server.demo_story` (a 市长批示, a 转发,
an 办公厅督办). Everything comes from `random.Random(2026)`, so every demo database looks the same.
"""

from __future__ import annotations

import random
from collections import Counter

from core.config import Settings
from core.security import Passwords
from directory.importing import (
    GroupPlan,
    ImportSummary,
    Loc,
    OrgPlan,
    PersonPlan,
    PositionPlan,
    UnitPlan,
    do_import_org,
)
from directory.models import Person, Unit
from directory.policy import Level, Role
from server.demo_story import tell_stories

DEMO_PASSWORD = "tongban2026"  # demo only: shared by every demo account, printed at start-up
SEED = 2026
PROVINCE = "贵州省"
DEPARTMENTS = ("贵州省人民政府办公厅", "贵州省应急管理厅", "贵州省农业农村厅")
CITIES: dict[str, tuple[str, dict[str, list[str]]]] = {  # city: (its office, counties: townships)
    "贵阳市": ("贵阳市人民政府办公厅", {
        "花溪区": ["青岩镇", "石板镇", "黔陶乡"], "修文县": ["六屯镇", "谷堡镇"],
        "开阳县": ["双流镇", "龙岗镇"]}),
    "遵义市": ("遵义市人民政府办公室", {
        "红花岗区": ["深溪镇", "金鼎山镇"], "湄潭县": ["永兴镇", "兴隆镇", "复兴镇"],
        "赤水市": ["大同镇", "丙安镇", "旺隆镇"]}),
    "黔南布依族苗族自治州": ("黔南州人民政府办公室", {
        "都匀市": ["墨冲镇", "平浪镇"], "荔波县": ["小七孔镇", "朝阳镇", "黎明关水族乡"]}),
}
VILLAGES = {"青岩镇": ["龙井村", "山王庙村"], "六屯镇": ["大木村"], "双流镇": ["三合村"],
            "永兴镇": ["茅坪村", "太平村"], "丙安镇": ["丙安村"], "墨冲镇": ["良和村"],
            "小七孔镇": ["拉片村", "水庆村"]}
GRIDS = {"龙井村": ["龙井村第一网格", "龙井村第二网格"], "茅坪村": ["茅坪村网格"]}
# Showcase logins, by (unit name, title): memorable names for trying the app from a phone.
SHOWCASE = {("贵州省人民政府办公厅", "文书"): ("zhangwei", "张伟"),
            ("贵州省人民政府办公厅", "主任"): ("liuqiang", "刘强"),
            ("遵义市", "市长"): ("wangjun", "王军"),
            ("遵义市人民政府办公室", "文书"): ("sunli", "孙丽"),
            ("湄潭县", "县长"): ("lina", "李娜"),
            ("湄潭县人民政府办公室", "文书"): ("zhaomin", "赵敏"),
            ("永兴镇", "文书"): ("wangfang", "王芳")}
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜"
            "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛龚")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文辉建国红梅林波斌宇浩凯婷雪琳晨鹏"
         "飞欣颖慧佳嘉俊帆志海燕荣春晓云峰鑫蕾倩鸿丹萍亮坤成")
LEADER, CLERK, ADMIN = Role.LEADER, Role.CLERK, Role.UNIT_ADMIN


class DemoOrg:
    """Builds the demo's import plan, remembering what the login text will need."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.plan = OrgPlan()
        self.names: dict[str, str] = {}  # ref -> unit name
        self.kinds: Counter[str] = Counter()
        self.tags: dict[str, list[str]] = {}  # group tag -> usernames
        self.showcase: list[PersonPlan] = []
        self.numbered = 0  # demo001, demo002, …

    def unit(self, name: str, level: Level, parent: str | None, kind: str = "office") -> str:
        ref = f"u{len(self.plan.units) + 1}"
        self.plan.units.append(UnitPlan(ref, name, int(level), parent, Loc(name)))
        self.names[ref] = name
        self.kinds[kind] += 1
        return ref

    def person(self, unit: str, title: str, *roles: str, tags: tuple[str, ...] = ()) -> PersonPlan:
        username, name = SHOWCASE.get((self.names[unit], title)) or self._numbered()
        person = PersonPlan(username, name, DEMO_PASSWORD, [], Loc(username))
        self.plan.people.append(person)
        self.post(person, unit, title, *roles)
        for tag in tags:
            self.tags.setdefault(tag, []).append(username)
        if not username.startswith("demo"):
            self.showcase.append(person)
        return person

    def name_desk(self, government: str, office: str) -> None:
        """The office is the government's document desk (`directory.routing`)."""
        next(u for u in self.plan.units if u.ref == government).desk = office

    def post(self, person: PersonPlan, unit: str, title: str, *roles: str) -> None:
        person.positions.append(PositionPlan(unit, title, tuple(sorted(roles)), person.loc))

    def staff(self, unit: str, count: int, title: str = "科员",
              tags: tuple[str, ...] = ()) -> None:
        for _ in range(count):
            self.person(unit, title, tags=tags)

    def _numbered(self) -> tuple[str, str]:
        self.numbered += 1
        given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
        return f"demo{self.numbered:03}", self.rng.choice(SURNAMES) + given


def _describe(person: PersonPlan, names: dict[str, str]) -> str:
    posts = "; ".join(
        f"{names[str(p.unit)]} {p.title}" + (f" ({', '.join(p.roles)})" if p.roles else "")
        for p in person.positions
    )
    return f"  {person.username:<10} {person.display_name} — {posts}"


def build_demo() -> DemoOrg:
    """The demo province as an import plan (no database needed)."""
    demo = DemoOrg()
    admin = PersonPlan("admin", "系统管理员", DEMO_PASSWORD, [], Loc("admin"), is_admin=True)
    demo.plan.people.append(admin)
    province = demo.unit(PROVINCE, Level.PROVINCE, None, "province")
    _province(demo, province)
    for city, (office, counties) in CITIES.items():
        _city(demo, demo.unit(city, Level.CITY, province, "city"), office, counties)
    _groups(demo)
    return demo


def _province(demo: DemoOrg, province: str) -> None:
    demo.person(province, "省长", LEADER, tags=("flood",))
    demo.staff(province, 2, "副省长")
    office, emergency, farming = (demo.unit(name, Level.PROVINCE, province) for name in DEPARTMENTS)
    demo.name_desk(province, office)
    demo.person(office, "主任", LEADER, ADMIN, tags=("flood",))
    demo.staff(office, 2, "副主任")
    demo.person(office, "文书", CLERK, tags=("clerks",))
    demo.staff(office, 3)
    for unit, tag in ((emergency, "flood"), (farming, "rural")):
        demo.person(unit, "厅长", LEADER, tags=(tag,))
        demo.person(unit, "副厅长", LEADER, tags=(tag,))
        demo.person(unit, "文书", CLERK, tags=("clerks",))
        demo.staff(unit, 2)


def _city(demo: DemoOrg, city: str, office_name: str, counties: dict[str, list[str]]) -> None:
    head = "州长" if demo.names[city].endswith("州") else "市长"
    demo.person(city, head, LEADER, tags=("flood",))
    demo.person(city, f"副{head}", LEADER)
    office = demo.unit(office_name, Level.CITY, city)
    demo.name_desk(city, office)
    demo.person(office, "主任", LEADER, ADMIN)
    demo.person(office, "副主任", LEADER)
    demo.person(office, "文书", CLERK, tags=("clerks",))
    demo.staff(office, 2)
    for county, townships in counties.items():
        _county(demo, demo.unit(county, Level.COUNTY, city, "county"), townships)


def _county(demo: DemoOrg, county: str, townships: list[str]) -> None:
    name = demo.names[county]
    head = {"区": "区长", "县": "县长", "市": "市长"}[name[-1]]
    meitan = ("meitan",) if name == "湄潭县" else ()
    demo.person(county, head, LEADER, tags=("flood", *meitan))
    demo.person(county, f"副{head}", LEADER)
    office = demo.unit(f"{name}人民政府办公室", Level.COUNTY, county)
    demo.name_desk(county, office)
    demo.person(office, "主任", LEADER, ADMIN, tags=("flood",))
    demo.person(office, "文书", CLERK, tags=("clerks", *meitan))
    demo.staff(office, demo.rng.randint(1, 2))
    for township in townships:
        _township(demo, demo.unit(township, Level.TOWNSHIP, county, "township"), meitan)


def _township(demo: DemoOrg, township: str, tags: tuple[str, ...]) -> None:
    name = demo.names[township]
    head = "乡长" if name.endswith("乡") else "镇长"
    demo.person(township, "党委书记", LEADER, tags=("rural", *tags))
    demo.person(township, head, LEADER, tags=tags)
    demo.person(township, f"副{head}", tags=tags)
    clerk = demo.person(township, "文书", CLERK, tags=("clerks", *tags))
    demo.staff(township, demo.rng.randint(0, 1))
    for village in VILLAGES.get(name, []):
        _village(demo, demo.unit(village, Level.VILLAGE, township, "village"), clerk, tags)


def _village(demo: DemoOrg, village: str, township_clerk: PersonPlan,
             tags: tuple[str, ...]) -> None:
    secretary = demo.person(village, "党支部书记", LEADER, tags=("rural",))
    demo.post(secretary, village, "村委会主任", LEADER)  # 书记、主任“一肩挑”: two posts, one person
    demo.person(village, "文书", CLERK)
    for index, grid_name in enumerate(GRIDS.get(demo.names[village], [])):
        grid = demo.unit(grid_name, Level.GRID, village, "grid")
        demo.staff(grid, 2, "网格员", tags=tags)
        if index == 0:  # the township clerk also looks after a grid
            demo.post(township_clerk, grid, "网格员")


def _groups(demo: DemoOrg) -> None:
    for tag, name, owner in (("flood", "防汛工作专班", "liuqiang"),
                             ("rural", "乡村振兴工作组", None),
                             ("clerks", "公文交换联络员群", "zhangwei"),
                             ("meitan", "湄潭县网格化管理工作组", "lina")):
        members = demo.tags[tag]
        lead = owner or members[0]
        group = GroupPlan(name, lead, list(dict.fromkeys([lead, *members])), Loc(name))
        demo.plan.groups.append(group)


async def load_demo(*, settings: Settings) -> str:
    """Load the demo province into an empty database; returns how to log in."""
    if await _has_data():
        return ("The database already has units or people; the demo loads only into an empty "
                "one (point TONGBAN_DATA_DIR or TONGBAN_DATABASE_URL at a new one).")
    demo = build_demo()
    # Every demo account shares DEMO_PASSWORD, and the importer hashes each distinct password
    # once: one Argon2 hash for the whole province, so the demo loads in well under a second.
    passwords = Passwords(time_cost=settings.argon2_time_cost,
                          memory_kib=settings.argon2_memory_kib)
    summary = await do_import_org(demo.plan, passwords=passwords, source="demo")
    return _logins(demo, summary) + "\n" + await tell_stories(settings)


async def load_demo_if_empty(*, settings: Settings) -> str:
    """`serve --demo`: load the demo only into an empty database; returns the text to print."""
    if await _has_data():
        return "Database already has data; demo not loaded."
    return await load_demo(settings=settings)


async def _has_data() -> bool:
    return await Person.exists() or await Unit.exists()


def _logins(demo: DemoOrg, summary: ImportSummary) -> str:
    k = demo.kinds
    shape = (f"{k['city']} cities, {k['county']} counties, {k['township']} townships, "
             f"{k['village']} villages, {k['grid']} grids")
    counts = f"{summary.units} units, {summary.people} people, {summary.groups} groups"
    return "\n".join([
        f"Demo province loaded: {PROVINCE} — {shape}; {counts}.",
        f"Log in with any of these (password: {DEMO_PASSWORD} — for this demo only):",
        f"  {'admin':<10} 系统管理员 (system administrator)",
        *(_describe(person, demo.names) for person in demo.showcase),
        f"  demo001 … demo{demo.numbered:03} are everyone else (find them under /v1/org/people).",
    ])
