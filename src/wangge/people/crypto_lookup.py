from __future__ import annotations

from wangge.core.crypto import blind_index

from .idnumber import InvalidIdNumber, parse


def id_hash_or_none(value: str) -> str | None:
    """The blind index of a well-formed ID number, or None (so a search box can take either
    a name or an ID number)."""
    try:
        return blind_index(parse(value).number)
    except InvalidIdNumber:
        return None
