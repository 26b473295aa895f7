"""Resident ID numbers 居民身份证号: validation (checksum, birth date, region), derived birth date
and gender, masking."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from wangge.core.errors import DomainError


class InvalidIdNumber(DomainError):
    code = "invalid_id_number"


@dataclass(frozen=True)
class IdInfo:
    number: str
    birth_date: dt.date
    gender: str  # "M" / "F"

    @property
    def masked(self) -> str:
        return mask(self.number)


@lru_cache(maxsize=1)
def _provinces() -> frozenset[str]:
    from stdnum import numdb

    db = numdb.get("cn/loc")
    return frozenset(f"{p:02d}" for p in range(10, 100) if db.info(f"{p:02d}0000")[0][1])


def mask(number: str) -> str:
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def parse(value: str, *, field: str = "id_number") -> IdInfo:
    """Validate an 18-digit ID number and derive birth date and gender; raise InvalidIdNumber
    with a clear message otherwise."""
    number = (value or "").strip().upper().replace(" ", "")
    if not number:
        raise InvalidIdNumber(_("The ID number is required."), field=field)
    if (
        len(number) != 18
        or not number[:17].isdigit()
        or not (number[17].isdigit() or number[17] == "X")
    ):
        raise InvalidIdNumber(
            _("The ID number must be 18 characters: 17 digits and a digit or X."), field=field
        )
    if ric.calc_check_digit(number) != number[17]:
        raise InvalidIdNumber(
            _("The ID number's check digit is wrong: please check it again."), field=field
        )
    try:
        birth = ric.get_birth_date(number)
    except ValidationError as exc:
        raise InvalidIdNumber(
            _("The ID number contains an impossible birth date."), field=field
        ) from exc
    # Only the province is checked: the county part of the code is the one in force when the
    # number was issued, which may postdate the birth year, so stdnum's dated check is too strict.
    if number[:2] not in _provinces():
        raise InvalidIdNumber(_("The ID number starts with an unknown region code."), field=field)
    if birth > timezone.localdate():
        raise InvalidIdNumber(_("The ID number contains a birth date in the future."), field=field)
    gender = "M" if int(number[16]) % 2 == 1 else "F"
    return IdInfo(number=number, birth_date=birth, gender=gender)


def make(region: str, birth: dt.date, seq: int, gender: str) -> str:
    """Build a valid ID number (demo data and tests)."""
    seq = seq % 500
    order = seq * 2 + (1 if gender == "M" else 0)
    body = f"{region[:6]}{birth:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "0")
