"""Households 户 and their members for demo data: who lives together, how old they are, who
works far away, and which tags (低保, 留守老人 …) follow from that.

Nothing here touches the database: `compose()` returns plain members, the builder turns
them into model rows in bulk.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from wangge.people import idnumber

from . import names

HEAD, SPOUSE, CHILD, PARENT, GRANDCHILD, CHILD_IN_LAW = (
    "head",
    "spouse",
    "child",
    "parent",
    "grandchild",
    "child_in_law",
)
KINDS = ("single_elder", "elder_couple", "single", "couple", "nuclear", "three_gen")


@dataclass(slots=True)
class Member:
    relation: str
    gender: str
    age: int
    family: bool  # carries the household's family name (born into it)
    name: str = ""
    ethnicity: str = ""
    birth: dt.date | None = None
    id_number: str = ""
    phone: str = ""
    away: bool = False
    party: bool = False
    married_in: bool = False
    tags: set = field(default_factory=set)


@dataclass(slots=True)
class Family:
    kind: str
    members: list[Member]
    tags: set = field(default_factory=set)

    @property
    def head(self) -> Member:
        return self.members[0]


def _age_between(rng: random.Random, lo: int, hi: int) -> int:
    return rng.randint(lo, hi) if hi >= lo else lo


def _children(rng, mother_age: int, count: int, relation: str) -> list[Member]:
    kids, youngest_gap = [], rng.randint(21, 30)
    for i in range(count):
        age = mother_age - youngest_gap - rng.randint(2, 4) * (count - 1 - i)
        if age < 0:
            continue
        kids.append(Member(relation, rng.choice("MF"), age, True))
    return kids


def compose(rng: random.Random, kind: str, away_rate: float) -> Family:
    """The members of one household, with relation, gender, age and who works away."""
    if kind == "single_elder":
        members = [Member(HEAD, "F" if rng.random() < 0.6 else "M", rng.randint(65, 92), True)]
    elif kind == "elder_couple":
        head = Member(HEAD, "M", rng.randint(61, 86), True)
        members = [head, Member(SPOUSE, "F", max(58, head.age - rng.randint(0, 5)), False)]
    elif kind == "single":
        members = [Member(HEAD, "M" if rng.random() < 0.7 else "F", rng.randint(22, 64), True)]
    elif kind == "couple":
        head = Member(HEAD, "M", rng.randint(23, 59), True)
        members = [head, Member(SPOUSE, "F", max(20, head.age - rng.randint(0, 4)), False)]
    elif kind == "nuclear":
        head_gender = "M" if rng.random() < 0.9 else "F"
        head = Member(HEAD, head_gender, rng.randint(27, 58), True)
        other = "F" if head_gender == "M" else "M"
        spouse = Member(SPOUSE, other, max(21, head.age + rng.randint(-5, 2)), False)
        mother = head if head_gender == "F" else spouse
        count = rng.choices((1, 2, 3), (50, 40, 10))[0]
        members = [head, spouse, *_children(rng, mother.age, count, CHILD)]
        if rng.random() < 0.15 and head.age + 24 <= 95:
            members.append(Member(PARENT, "F" if rng.random() < 0.7 else "M", 0, False))
            members[-1].age = min(95, head.age + rng.randint(22, 32))
            members[-1].family = members[-1].gender == "M"
    else:  # three generations under one roof
        head = Member(HEAD, "M", rng.randint(50, 76), True)
        spouse = Member(SPOUSE, "F", max(46, head.age - rng.randint(0, 5)), False)
        son = Member(CHILD, "M", max(20, head.age - rng.randint(23, 31)), True)
        dil = Member(CHILD_IN_LAW, "F", max(19, son.age - rng.randint(-1, 4)), False)
        members = [head, spouse, son, dil]
        members += _children(rng, dil.age, rng.choices((1, 2), (55, 45))[0], GRANDCHILD)
        if rng.random() < 0.25:
            members.append(
                Member(CHILD, rng.choice("MF"), max(15, son.age - rng.randint(2, 8)), True)
            )
    for m in members:
        m.married_in = m.relation in (SPOUSE, CHILD_IN_LAW)
    _working_away(rng, kind, members, away_rate)
    return Family(kind, members)


def _working_away(rng, kind: str, members: list[Member], rate: float) -> None:
    if kind in ("single_elder", "elder_couple"):
        return
    head = members[0]
    for m in members:
        if not 18 <= m.age <= 55 or m.relation == PARENT:
            continue
        if m.relation == HEAD:
            p = rate
        elif m.relation == SPOUSE:
            p = rate * (0.6 if head.away else 0.2)
        elif m.relation == CHILD and m.age <= 22:
            p = 0.5  # at university or vocational school far away
        elif m.relation == CHILD:
            p = min(0.9, rate * 1.4)
        elif m.relation == CHILD_IN_LAW:
            son_away = any(x.relation == CHILD and x.gender == "M" and x.away for x in members)
            p = 0.65 if son_away else 0.15
        else:
            p = rate
        m.away = rng.random() < p


def apply_tags(rng: random.Random, family: Family) -> None:
    """Tags with realistic shares, following from the household's make-up."""
    members = family.members
    head = family.head
    ft = family.tags
    elderly_only = all(m.age >= 60 for m in members)
    working = [m for m in members if 18 <= m.age <= 59]
    any_away = any(m.away for m in members)
    if any_away:
        ft.add("migrant")
    if elderly_only:
        ft.add("empty_nest")
        for m in members:
            m.tags.add("empty_nest")
        if rng.random() < 0.5:  # their children work in the cities
            for m in members:
                m.tags.add("left_behind_elderly")
    elif working and all(m.away for m in working):
        for m in members:
            if m.age >= 60:
                m.tags.add("left_behind_elderly")
    # Children under 16 whose parents (present in the household) are all away.
    for m in members:
        if m.age >= 16 or m.relation not in (CHILD, GRANDCHILD):
            continue
        parents = (
            [x for x in members if x.relation in (HEAD, SPOUSE)]
            if m.relation == CHILD
            else [x for x in members if x.relation in (CHILD, CHILD_IN_LAW) and x.age >= 19]
        )
        if parents and all(p.away for p in parents):
            m.tags.add("left_behind_child")
    for m in members:
        if m.age >= 16 and rng.random() < (0.006 + (0.012 if m.age > 65 else 0)):
            m.tags.add("severe_disability")
        p_ill = 0.004 if m.age < 40 else (0.015 + (0.015 if m.age > 65 else 0))
        if rng.random() < p_ill:
            m.tags.add("serious_illness")
            if rng.random() < 0.35:
                m.tags.add("high_medical_cost")
        if m.gender == "M" and 35 <= m.age <= 80 and rng.random() < 0.035:
            m.tags.add("veteran")
    for tag in ("left_behind_elderly", "severe_disability", "serious_illness"):
        if any(tag in m.tags for m in members):
            ft.add(tag)
    burden = bool(ft & {"severe_disability", "serious_illness"})
    p_dibao = 0.03 + (0.07 if elderly_only else 0) + (0.25 if burden else 0)
    if family.kind == "single_elder" and rng.random() < 0.12:
        ft.add("tekun")  # 特困供养: no one to rely on
        head.tags.add("tekun")
    elif rng.random() < p_dibao:
        ft.add("dibao")
        head.tags.add("dibao")
    if ft & {"dibao", "tekun"} or burden:
        if rng.random() < 0.8:
            ft.add("hardship")
    elif rng.random() < 0.01:
        ft.add("hardship")
    if rng.random() < 0.006:
        ft.add("petition")
    minors = sum(1 for m in members if m.age < 18 and m.relation == CHILD)
    if rng.random() < (0.5 if minors >= 3 else 0.01):
        ft.add("family_planning")
    if rng.random() < 0.005:
        ft.add("difficult")
    if "hardship" not in ft and rng.random() < (0.08 if 30 <= head.age <= 55 else 0.02):
        ft.add("economic")


class IdIssuer:
    """Unique, valid ID numbers: region + birth date + sequence (odd for men) + check digit."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[tuple[str, dt.date, int]] = set()

    def issue(self, region: str, birth: dt.date, gender: str) -> str:
        seq = self.rng.randrange(500)
        for _ in range(500):
            if (region, birth, seq * 2 + (gender == "M")) not in self.used:
                break
            seq = (seq + 1) % 500
        else:  # pragma: no cover - 500 people of one sex born on one day in one county
            raise RuntimeError("ID sequence space exhausted")
        self.used.add((region, birth, seq * 2 + (gender == "M")))
        return idnumber.make(region, birth, seq, gender)


def birth_date(rng: random.Random, today: dt.date, age: int) -> dt.date:
    days = int((age + rng.random()) * 365.2425)
    return today - dt.timedelta(days=max(1, days))


# Mobile prefixes in common use (no data-only 14x numbers).
MOBILE_PREFIXES = (
    "130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 173 176 177 178 180 181 182 183 185 186 187 188 189 191 198 199"
).split()


def phone(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


class Namer:
    """Names for the members of one household, by the village's surnames and ethnic mix."""

    def __init__(self, surnames: names.WeightedChoice, ethnic: list[tuple[str, int]]):
        self.surnames = surnames
        self.ethnic = names.WeightedChoice([(e, float(w)) for e, w in ethnic])

    def name_family(self, rng: random.Random, family: Family, year: int) -> None:
        ethnicity = self.ethnic(rng)
        family_surname = self._surname(rng, ethnicity)
        taken: set[str] = set()
        for m in family.members:
            if m.family:
                m.ethnicity = ethnicity
                surname = family_surname
            else:
                m.ethnicity = ethnicity if rng.random() < 0.88 else self.ethnic(rng)
                surname = self._surname(rng, m.ethnicity)
                if surname == family_surname:
                    surname = self._surname(rng, m.ethnicity)
            born = year - m.age
            for _ in range(8):  # two children of one family do not share a name
                if m.ethnicity == "蒙古族":
                    m.name = names.mongolian_name(rng, born, m.gender)
                else:
                    m.name = surname + names.given_name(rng, born, m.gender)
                if m.name not in taken:
                    break
            taken.add(m.name)

    def _surname(self, rng: random.Random, ethnicity: str) -> str:
        if ethnicity == "蒙古族":
            return names.MONGOLIAN_SURNAME(rng)
        if ethnicity == "满族":
            return names.MANCHU_SURNAME(rng)
        if ethnicity == "回族" and rng.random() < 0.5:
            return "马"
        return self.surnames(rng)
