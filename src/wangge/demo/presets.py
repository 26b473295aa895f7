"""What each demo preset builds: the territory (names, codes, grid counts), the number of
households and the people profile.

- tiny   — 1 town, 2 villages, 6 grids, ~60 households: for tests.
- town   — 程集镇 in 颍州区 (阜阳, Anhui) as described in the seed document: 8 villages
           (村/居), 232 grids, 374 posts, ~3,000 households.
- county — 科右前旗 (Hinggan League, Inner Mongolia) at its real scale: 12 towns and sumu,
           850 grids, 50,000 households, ~150,000 residents, with Mongolian gacha 嘎查.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from . import names

# Ethnic mixes (weights) by kind of place.
ANHUI = [("汉族", 996), ("回族", 4)]
HORQIN_GACHA = [("蒙古族", 76), ("汉族", 22), ("满族", 2)]
HORQIN_VILLAGE = [("汉族", 62), ("蒙古族", 33), ("满族", 4), ("回族", 1)]
HORQIN_TOWN = [("汉族", 55), ("蒙古族", 40), ("满族", 3), ("回族", 2)]
HORQIN_MANCHU = [("满族", 45), ("汉族", 35), ("蒙古族", 20)]

# Departments stationed in every town (吹哨报到 targets): key, name suffix.
TOWN_DEPARTMENTS = [
    ("pcs", "派出所"),
    ("sfs", "司法所"),
    ("gts", "国土所"),
    ("mzs", "民政所"),
]
# Part of the posts tied to the territory (the rest are per grid or per village).
STAFF_POOL_SHARES = {"grid_worker_part": 0.45, "volunteer": 0.36, "elder": 0.19}


@dataclass
class VillagePlan:
    name: str
    code: str
    grids: int
    community: bool = False  # 社区/居委会: flats instead of farmyards
    clans: list[tuple[str, float]] = field(default_factory=list)
    ethnic: list[tuple[str, int]] = field(default_factory=lambda: list(ANHUI))
    dedicated: list[tuple[str, str]] = field(default_factory=list)  # (name, AreaKind)


@dataclass
class TownPlan:
    name: str
    code: str
    villages: list[VillagePlan]

    @property
    def short(self) -> str:
        for suffix in ("满族乡", "苏木", "镇", "乡", "街道"):
            if self.name.endswith(suffix):
                return self.name[: -len(suffix)]
        return self.name


@dataclass
class Plan:
    key: str
    county_name: str
    county_code: str
    region: str  # 6-digit region of locally issued ID numbers
    other_regions: list[str]  # where married-in spouses come from
    centre: tuple[float, float]  # (lat, lng)
    span: tuple[float, float]  # (height, width) in degrees
    towns: list[TownPlan]
    households: int
    # Household mix: weights of single_elder, elder_couple, single, couple, nuclear, three_gen.
    household_mix: tuple[float, ...] = (9, 14, 6, 9, 38, 24)
    away_rate: float = 0.45  # working-age people working far away (外出务工)
    microgrid_share: float = 0.08  # share of rural grids split into micro-grids
    posts_total: int | None = None  # exact number of posts (town preset: 374)
    town_admins: int = 3  # 镇网格化管理办公室
    town_grid_chiefs: int = 2
    town_supervisors: int = 1
    staff_per_department: int = 1
    leaves: int = 3
    phone_area: str = "0558"  # landline area code (阜阳 0558, 兴安盟 0482)

    @property
    def grid_count(self) -> int:
        return sum(v.grids for t in self.towns for v in t.villages)


def _tiny() -> Plan:
    town = TownPlan(
        "程集镇",
        "341202104000",
        [
            VillagePlan("程集村", "341202104201", 3, clans=[("程", 0.35), ("李", 0.1)]),
            VillagePlan("王湖村", "341202104202", 3, clans=[("王", 0.4)]),
        ],
    )
    return Plan(
        key="tiny",
        county_name="颍州区",
        county_code="341202000000",
        region="341202",
        other_regions=["341221", "341226", "341203"],
        centre=(32.885, 115.742),
        span=(0.03, 0.04),
        towns=[town],
        households=60,
        microgrid_share=0.5,
        leaves=2,
    )


def _town() -> Plan:
    villages = [
        VillagePlan(
            "程集社区",
            "341202104001",
            24,
            community=True,
            clans=[("程", 0.15)],
            dedicated=[("程集集贸市场网格", "market")],
        ),
        VillagePlan(
            "程集村",
            "341202104201",
            32,
            clans=[("程", 0.35), ("李", 0.08)],
            dedicated=[("程集中心学校网格", "school")],
        ),
        VillagePlan("郑寨村", "341202104202", 30, clans=[("郑", 0.4), ("张", 0.1)]),
        VillagePlan("王湖村", "341202104203", 28, clans=[("王", 0.45)]),
        VillagePlan(
            "刘楼村",
            "341202104204",
            31,
            clans=[("刘", 0.4), ("孙", 0.08)],
            dedicated=[("金禾粮油公司网格", "enterprise")],
        ),
        VillagePlan("范兴集村", "341202104205", 27, clans=[("范", 0.3), ("赵", 0.1)]),
        VillagePlan("后李村", "341202104206", 29, clans=[("李", 0.45)]),
        VillagePlan("大田村", "341202104207", 31, clans=[("田", 0.25), ("杨", 0.15)]),
    ]
    return Plan(
        key="town",
        county_name="颍州区",
        county_code="341202000000",
        region="341202",
        other_regions=["341221", "341226", "341225", "341203", "341204", "341282"],
        centre=(32.885, 115.742),
        # 程集镇 covers about 90 km²: ~9 km north–south, ~10 km east–west.
        span=(0.085, 0.105),
        towns=[TownPlan("程集镇", "341202104000", villages)],
        households=3000,
        posts_total=374,
        town_admins=7,  # 网格化管理办公室7名同志
        town_grid_chiefs=3,  # 党委副书记等3名镇班子成员
        town_supervisors=2,
        staff_per_department=2,
    )


# 科右前旗: towns and sumu (苏木) with their real names; codes follow 统计用区划代码 style.
COUNTY_TOWNS = [
    ("科尔沁镇", "100"),
    ("归流河镇", "101"),
    ("居力很镇", "102"),
    ("察尔森镇", "103"),
    ("索伦镇", "104"),
    ("德伯斯镇", "105"),
    ("大石寨镇", "106"),
    ("俄体镇", "107"),
    ("额尔格图镇", "108"),
    ("巴日嘎斯台乡", "200"),
    ("满族屯满族乡", "201"),
    ("乌兰毛都苏木", "202"),
]


def _split(total: int, weights: list[float], minimum: int) -> list[int]:
    """Integers ≥ minimum summing to total, proportional to weights (largest remainder)."""
    spare = total - minimum * len(weights)
    s = sum(weights)
    raw = [spare * w / s for w in weights]
    out = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))
    for i in order[: spare - sum(out)]:
        out[i] += 1
    return [o + minimum for o in out]


def _county(seed: int) -> Plan:
    rng = random.Random(f"{seed}:county-plan")
    total_grids = 850
    towns: list[TownPlan] = []
    village_slots: list[tuple[int, str, str, bool, list]] = []  # (town index, name, code, …)
    for t, (town_name, suffix) in enumerate(COUNTY_TOWNS):
        prefix = "152221" + suffix
        han = rng.sample(names.HAN_VILLAGE_NAMES, len(names.HAN_VILLAGE_NAMES))
        mon = rng.sample(names.MONGOLIAN_VILLAGE_NAMES, len(names.MONGOLIAN_VILLAGE_NAMES))
        if t == 0:
            # 科尔沁镇: the seat, "所轄4個社區,細化為28個網格" (seed 003) plus its villages.
            for i, cname in enumerate(names.COMMUNITY_NAMES[:4]):
                village_slots.append((t, cname + "社区", f"{prefix}{i + 1:03d}", True, HORQIN_TOWN))
            n_villages = 8
        else:
            n_villages = rng.randint(13, 18)
        gacha_share = 0.6 if town_name.endswith("苏木") else 0.35
        for i in range(n_villages):
            code = f"{prefix}{200 + i + 1:03d}"
            if town_name == "满族屯满族乡":
                name, ethnic = han.pop() + "村", HORQIN_MANCHU
            elif rng.random() < gacha_share:
                name, ethnic = mon.pop() + "嘎查", HORQIN_GACHA
            else:
                name, ethnic = han.pop() + "村", HORQIN_VILLAGE
            village_slots.append((t, name, code, False, ethnic))
        towns.append(TownPlan(town_name, prefix + "000", []))
    communities = [s for s in village_slots if s[3]]
    rural = [s for s in village_slots if not s[3]]
    rural_grids = _split(
        total_grids - 7 * len(communities), [rng.uniform(0.6, 1.6) for _ in rural], 2
    )
    grid_counts = {s[2]: 7 for s in communities} | {
        s[2]: g for s, g in zip(rural, rural_grids, strict=True)
    }
    for t, name, code, community, ethnic in village_slots:
        clans = []
        if not community and ethnic is HORQIN_VILLAGE:
            clans = [(names.NATIONAL_SURNAME(rng), 0.2)]
        dedicated = []
        if community and code.endswith("001"):
            dedicated = [("科尔沁镇中学网格", "school")]
        towns[t].villages.append(
            VillagePlan(name, code, grid_counts[code], community, clans, ethnic, dedicated)
        )
    return Plan(
        key="county",
        county_name="科右前旗",
        county_code="152221000000",
        region="152221",
        other_regions=["152201", "152222", "152223", "152224", "150521", "220802"],
        centre=(46.08, 121.9),
        span=(1.2, 1.8),
        towns=towns,
        households=50000,
        household_mix=(10, 16, 9, 12, 36, 17),
        away_rate=0.22,
        microgrid_share=0.05,
        leaves=12,
        phone_area="0482",
    )


PRESETS = {"tiny": _tiny, "town": _town, "county": _county}


def get_plan(preset: str, seed: int) -> Plan:
    try:
        factory = PRESETS[preset]
    except KeyError:
        raise ValueError(
            "unknown demo preset %r (choose from %s)" % (preset, ", ".join(PRESETS))
        ) from None
    return factory(seed) if preset == "county" else factory()
