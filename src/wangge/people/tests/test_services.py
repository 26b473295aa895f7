import pytest
from django.db import connection

from wangge.accounts.choices import Role
from wangge.core import crypto
from wangge.core.errors import DomainError, NotFound, PermissionDenied
from wangge.core.models import AuditEntry
from wangge.people import services
from wangge.people.idnumber import InvalidIdNumber
from wangge.people.models import Household, Resident, Tag
from wangge.testing.factories import (
    make_household,
    make_resident,
    user_with_post,
    valid_id_number,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _tag(code, name, target):
    return Tag.objects.get_or_create(code=code, defaults={"name": name, "target": target})[0]


# ---------------------------------------------------------------- households


def test_duplicate_household_number(territory):
    make_household(territory.grid_a1, number="H1")
    with pytest.raises(DomainError) as exc:
        make_household(territory.grid_b1, number=" H1 ")
    assert exc.value.field == "number" and "H1" in str(exc.value.message)


def test_household_lives_in_a_grid_or_micro_grid(territory):
    with pytest.raises(DomainError) as exc:
        make_household(territory.village_a)
    assert exc.value.field == "area"


def test_household_position_is_validated(territory):
    with pytest.raises(DomainError):
        make_household(territory.grid_a1, lat=95.0, lng=115.0)
    with pytest.raises(DomainError):
        make_household(territory.grid_a1, lat=32.9, lng=None)
    household = make_household(territory.grid_a1, lat=32.905, lng=115.805)
    household = services.household_update(actor=None, household=household, lat=None, lng=None)
    assert household.lat is None and household.lng is None


def test_household_phone_is_validated(territory):
    with pytest.raises(DomainError) as exc:
        make_household(territory.grid_a1, phone="12345")
    assert exc.value.field == "phone"


def test_household_writes_check_edit_scope(territory):
    worker = user_with_post(territory.grid_a1, Role.GRID_WORKER)
    with pytest.raises(PermissionDenied):
        services.household_create(actor=worker, number="X", area=territory.grid_b1, address="王庄")
    household = make_household(territory.grid_a1)
    with pytest.raises(PermissionDenied):
        services.household_update(actor=worker, household=household, area=territory.grid_b1)
    volunteer = user_with_post(territory.village_a, Role.VOLUNTEER)
    with pytest.raises(PermissionDenied):
        services.household_update(actor=volunteer, household=household, address="x")


def test_moving_a_household_moves_its_residents(territory):
    household = make_household(territory.grid_a1)
    resident = make_resident(household)
    services.household_update(actor=None, household=household, area=territory.grid_b2)
    household.refresh_from_db()
    resident.refresh_from_db()
    assert household.grid == territory.grid_b2
    assert household.area_path == resident.area_path == territory.grid_b2.path


def test_a_household_cannot_move_into_an_inactive_grid(territory):
    from wangge.areas.services import area_deactivate

    household = make_household(territory.grid_a1)
    area_deactivate(actor=None, area=territory.grid_b1)
    territory.grid_b1.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        services.household_update(actor=None, household=household, area=territory.grid_b1)
    assert exc.value.field == "area"
    with pytest.raises(DomainError):
        make_household(territory.grid_b1)


def test_household_tags_must_apply_to_households(territory):
    veteran = _tag("veteran", "退役军人", "resident")
    with pytest.raises(DomainError) as exc:
        make_household(territory.grid_a1, tags=[veteran])
    assert exc.value.field == "tags"


# ---------------------------------------------------------------- residents


def test_wrong_id_checksum(territory):
    household = make_household(territory.grid_a1)
    number = valid_id_number()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(InvalidIdNumber) as exc:
        make_resident(household, id_number=wrong)
    assert exc.value.field == "id_number"
    assert not Resident.objects.exists()


def test_id_number_is_encrypted_at_rest(territory):
    number = valid_id_number()
    resident = make_resident(make_household(territory.grid_a1), id_number=number)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM people_resident WHERE id = %s", [resident.pk])
        row = cursor.fetchone()
    flat = " ".join(str(v) for v in row)
    assert number not in flat
    assert number[6:14] not in resident.id_number_masked  # birth date hidden
    assert crypto.decrypt(resident.id_number_cipher) == number
    assert resident.id_number_hash == crypto.blind_index(number)


def test_same_id_number_twice_is_refused(territory):
    number = valid_id_number()
    make_resident(make_household(territory.grid_a1), id_number=number)
    with pytest.raises(DomainError) as exc:
        make_resident(make_household(territory.grid_a2), id_number=number.lower())
    assert exc.value.field == "id_number"


def test_birth_date_and_gender_come_from_the_id_number(territory):
    import datetime as dt

    number = valid_id_number(birth=dt.date(1988, 8, 8), gender="F")
    resident = make_resident(make_household(territory.grid_a1), id_number=number)
    assert resident.birth_date == dt.date(1988, 8, 8) and resident.gender == "F"


def test_reveal_writes_an_audit_row_with_actor_and_resident(territory):
    number = valid_id_number()
    resident = make_resident(make_household(territory.grid_a1), id_number=number)
    worker = user_with_post(territory.grid_a1, Role.GRID_WORKER)
    assert services.resident_reveal_id(actor=worker, resident=resident, reason="核对") == number
    entry = AuditEntry.objects.get(verb="resident.reveal_id")
    assert entry.actor == worker
    assert entry.object_type == "people.resident" and entry.object_id == str(resident.pk)
    assert entry.data["reason"] == "核对"
    assert number not in str(entry.data) and number not in entry.object_repr


def test_reveal_is_refused_without_capability_or_scope(territory):
    resident = make_resident(make_household(territory.grid_a1))
    volunteer = user_with_post(territory.grid_a1, Role.VOLUNTEER)  # sees, may not reveal
    with pytest.raises(PermissionDenied):
        services.resident_reveal_id(actor=volunteer, resident=resident)
    other = user_with_post(territory.grid_b1, Role.GRID_WORKER)
    with pytest.raises(NotFound):
        services.resident_reveal_id(actor=other, resident=resident)
    with pytest.raises(PermissionDenied):
        services.resident_reveal_id(actor=None, resident=resident)
    assert not AuditEntry.objects.filter(verb="resident.reveal_id").exists()


def test_member_count_and_head_are_maintained(territory):
    household = make_household(territory.grid_a1)
    head = make_resident(household, name="户主", relation="head")
    spouse = make_resident(household, name="配偶", relation="spouse")
    household.refresh_from_db()
    assert household.head == head and household.member_count == 2
    with pytest.raises(DomainError) as exc:
        make_resident(household, name="另一个户主", relation="head")
    assert exc.value.field == "relation"
    # The head dies: not counted any more, still the head until someone else is named.
    services.resident_update(actor=None, resident=head, is_deceased=True)
    household.refresh_from_db()
    assert household.member_count == 1
    services.resident_update(actor=None, resident=head, relation="other")
    household.refresh_from_db()
    assert household.head is None
    services.resident_update(actor=None, resident=spouse, relation="head")
    household.refresh_from_db()
    assert household.head == spouse


def test_resident_update_validates(territory):
    resident = make_resident(make_household(territory.grid_a1))
    with pytest.raises(DomainError) as exc:
        services.resident_update(actor=None, resident=resident, ethnicity="火星族")
    assert exc.value.field == "ethnicity"
    with pytest.raises(DomainError) as exc:
        services.resident_update(actor=None, resident=resident, name="  ")
    assert exc.value.field == "name"
    new_number = valid_id_number()
    resident = services.resident_update(actor=None, resident=resident, id_number=new_number)
    assert crypto.decrypt(resident.id_number_cipher) == new_number


# ---------------------------------------------------------------- department lists


def test_department_list_apply(territory):
    dibao = _tag("dibao", "低保", "both")
    a = make_resident(make_household(territory.grid_a1), name="张三")
    b = make_resident(make_household(territory.grid_a2), name="李四")
    c = make_resident(make_household(territory.grid_b1), name="王五")
    number = {r.pk: crypto.decrypt(r.id_number_cipher) for r in (a, b, c)}
    unknown = valid_id_number()
    rows = [
        {"row": 2, "id_number": number[a.pk], "name": "张三"},  # matched
        {"row": 3, "id_number": number[b.pk], "name": "李小四"},  # name differs: ambiguous
        {"row": 4, "id_number": unknown, "name": "赵六"},  # unmatched
        {"row": 5, "id_number": "12345", "name": "坏号"},  # invalid
        {"row": 6, "id_number": number[c.pk], "name": ""},  # matched on the number alone
    ]
    record = services.department_list_apply(
        actor=None, source="civil_affairs", tag=dibao, file_name="低保名单.xlsx", rows=rows
    )
    assert (record.matched, record.unmatched, record.ambiguous, record.invalid) == (2, 1, 1, 1)
    assert record.total_rows == 5
    statuses = {entry["row"]: entry["status"] for entry in record.report}
    assert statuses == {2: "matched", 3: "ambiguous", 4: "unmatched", 5: "invalid", 6: "matched"}
    assert set(dibao.residents.values_list("pk", flat=True)) == {a.pk, c.pk}
    # A tag for both also marks the households.
    assert set(dibao.households.values_list("pk", flat=True)) == {a.household_id, c.household_id}
    # The report never holds a full ID number.
    assert not any(n in str(record.report) for n in number.values())
    # Applying the same list again changes nothing and duplicates nothing.
    services.department_list_apply(
        actor=None, source="civil_affairs", tag=dibao, file_name="again.xlsx", rows=rows
    )
    assert dibao.residents.count() == 2


def test_department_list_same_id_with_two_names_is_ambiguous(territory):
    tag = _tag("tekun", "特困", "both")
    a = make_resident(make_household(territory.grid_a1), name="张三")
    n = crypto.decrypt(a.id_number_cipher)
    record = services.department_list_apply(
        actor=None,
        source="other",
        tag=tag,
        file_name="x.xlsx",
        rows=[
            {"row": 2, "id_number": n, "name": "张三"},
            {"row": 3, "id_number": n, "name": "张叁"},
        ],
    )
    assert record.ambiguous == 2 and record.matched == 0
    assert not tag.residents.exists()


def test_department_list_applies_only_inside_the_importers_scope(territory):
    tag = _tag("dibao", "低保", "both")
    inside = make_resident(make_household(territory.grid_a1), name="张三")
    outside = make_resident(make_household(territory.grid_b1), name="王五")
    chief = user_with_post(territory.village_a, Role.VILLAGE_GRID_CHIEF)
    rows = [
        {"row": 2, "id_number": crypto.decrypt(inside.id_number_cipher), "name": "张三"},
        {"row": 3, "id_number": crypto.decrypt(outside.id_number_cipher), "name": "王五"},
    ]
    record = services.department_list_apply(
        actor=chief, source="civil_affairs", tag=tag, file_name="x.xlsx", rows=rows
    )
    assert (record.matched, record.unmatched) == (1, 1)
    assert list(tag.residents.all()) == [inside]
    assert AuditEntry.objects.filter(verb="people.list_import", actor=chief).exists()


def test_department_list_refusals(territory):
    with pytest.raises(DomainError) as exc:
        services.department_list_apply(
            actor=None,
            source="civil_affairs",
            tag=_tag("hardship", "困难户", "household"),
            file_name="x",
            rows=[],
        )
    assert exc.value.field == "tag"
    with pytest.raises(DomainError) as exc:
        services.department_list_apply(
            actor=None, source="nasa", tag=_tag("dibao", "低保", "both"), file_name="x", rows=[]
        )
    assert exc.value.field == "source"
    assert Household.objects.count() == 0
