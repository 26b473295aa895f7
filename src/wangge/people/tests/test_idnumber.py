import datetime as dt

import pytest
from django.utils import translation

from wangge.core.errors import DomainError
from wangge.people import idnumber


def test_valid_number_derives_birth_date_and_gender():
    number = idnumber.make("341204", dt.date(1985, 3, 9), 12, "F")
    info = idnumber.parse(number)
    assert info.birth_date == dt.date(1985, 3, 9)
    assert info.gender == "F"
    assert info.masked == number[:3] + "*" * 11 + number[-4:]


@pytest.mark.parametrize(
    "bad",
    ["", "12345", "34120419850309002A", "341204198513090021", "000000198503090021"],
)
def test_bad_numbers_are_refused_with_a_message(bad):
    with pytest.raises(DomainError) as exc:
        idnumber.parse(bad)
    assert exc.value.field == "id_number"
    assert str(exc.value.message)


def test_wrong_check_digit_is_named():
    number = idnumber.make("341204", dt.date(1985, 3, 9), 12, "F")
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with translation.override("en"), pytest.raises(DomainError, match="check digit"):
        idnumber.parse(wrong)
    with translation.override("zh-hans"), pytest.raises(DomainError, match="校验位"):
        idnumber.parse(wrong)
