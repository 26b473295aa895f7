"""Disclosure periods: "2026-10" (month), "2026-Q3" (quarter), "2026" (year).

月公示、季汇总、年报告: a quarter covers its three months, a year its four quarters and twelve
months, which is what the completeness check expands.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.errors import DomainError

from .choices import PeriodKind

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    kind: str
    number: int  # month 1–12, quarter 1–4, 0 for the year

    def __str__(self) -> str:
        if self.kind == PeriodKind.MONTHLY:
            return f"{self.year}-{self.number:02d}"
        if self.kind == PeriodKind.QUARTERLY:
            return f"{self.year}-Q{self.number}"
        return f"{self.year}"

    @property
    def start(self) -> dt.date:
        if self.kind == PeriodKind.MONTHLY:
            return dt.date(self.year, self.number, 1)
        if self.kind == PeriodKind.QUARTERLY:
            return dt.date(self.year, 3 * self.number - 2, 1)
        return dt.date(self.year, 1, 1)

    @property
    def end(self) -> dt.date:
        """First day after the period."""
        if self.kind == PeriodKind.MONTHLY:
            y, m = (self.year + 1, 1) if self.number == 12 else (self.year, self.number + 1)
            return dt.date(y, m, 1)
        if self.kind == PeriodKind.QUARTERLY:
            return (
                dt.date(self.year + 1, 1, 1)
                if self.number == 4
                else dt.date(self.year, 3 * self.number + 1, 1)
            )
        return dt.date(self.year + 1, 1, 1)

    def expand(self) -> list[Period]:
        """This period and every shorter period inside it."""
        out = [self]
        if self.kind == PeriodKind.ANNUAL:
            out += [Period(self.year, PeriodKind.QUARTERLY, q) for q in range(1, 5)]
            out += [Period(self.year, PeriodKind.MONTHLY, m) for m in range(1, 13)]
        elif self.kind == PeriodKind.QUARTERLY:
            first = 3 * self.number - 2
            out += [Period(self.year, PeriodKind.MONTHLY, m) for m in range(first, first + 3)]
        return out


def parse(value: str, *, field: str = "period") -> Period:
    value = (value or "").strip().upper()
    if m := _MONTH.match(value):
        return Period(int(m[1]), PeriodKind.MONTHLY, int(m[2]))
    if m := _QUARTER.match(value):
        return Period(int(m[1]), PeriodKind.QUARTERLY, int(m[2]))
    if m := _YEAR.match(value):
        return Period(int(m[1]), PeriodKind.ANNUAL, 0)
    raise DomainError(
        _("The period must look like 2026-10 (month), 2026-Q3 (quarter) or 2026 (year)."),
        field=field,
    )


def current(kind: str, today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    if kind == PeriodKind.MONTHLY:
        return Period(today.year, kind, today.month)
    if kind == PeriodKind.QUARTERLY:
        return Period(today.year, kind, (today.month - 1) // 3 + 1)
    return Period(today.year, PeriodKind.ANNUAL, 0)
