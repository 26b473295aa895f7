"""Writes about users, posts, duty hours and leave."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.core.audit import audit
from wangge.core.errors import DomainError, PermissionDenied

from .choices import ROLE_LEVELS, Role
from .models import Department, DutyHours, Leave, Post, User
from .selectors import user_scope


def _check_manage(actor, area) -> None:
    if actor is None:  # system actions (demo, imports run by an administrator on the console)
        return
    if not user_scope(actor, "manage_posts").covers(area.path):
        raise PermissionDenied(_("You cannot manage posts in %(area)s.") % {"area": area.name})


@transaction.atomic
def user_create(
    *,
    actor,
    username: str,
    full_name: str = "",
    phone: str = "",
    password: str | None = None,
    email: str = "",
) -> User:
    username = (username or "").strip()
    if not username:
        raise DomainError(_("The username is required."), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(
            _("The username %(u)s is already taken.") % {"u": username}, field="username"
        )
    user = User(username=username, full_name=full_name.strip(), phone=phone.strip(), email=email)
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages), field="password") from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit(actor=actor, verb="user.create", obj=user)
    return user


@transaction.atomic
def post_create(
    *,
    actor,
    user: User,
    area,
    role: str,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    department: Department | None = None,
    on_call: bool = False,
) -> Post:
    if role not in Role.values:
        raise DomainError(_("Unknown role."), field="role")
    _check_manage(actor, area)
    if area.level not in ROLE_LEVELS[role]:
        raise DomainError(
            _("A %(role)s post cannot be on a %(level)s.")
            % {"role": Role(role).label, "level": area.get_level_display()},
            field="area",
        )
    if role == Role.DEPARTMENT_STAFF and department is None:
        raise DomainError(_("Department staff need a department."), field="department")
    start_date = start_date or timezone.localdate()
    if end_date and end_date < start_date:
        raise DomainError(_("The post ends before it starts."), field="end_date")
    post = Post.objects.create(
        user=user,
        area=area,
        role=role,
        start_date=start_date,
        end_date=end_date,
        department=department,
        on_call=on_call,
    )
    audit(actor=actor, verb="post.create", obj=post, data={"role": role, "area": area.code})
    return post


@transaction.atomic
def post_end(*, actor, post: Post, end_date: dt.date | None = None) -> Post:
    post = Post.objects.select_for_update().select_related("area").get(pk=post.pk)
    _check_manage(actor, post.area)
    end_date = end_date or timezone.localdate()
    if post.end_date and post.end_date <= end_date:
        raise DomainError(_("The post has already ended."))
    if end_date < post.start_date:
        raise DomainError(_("The post ends before it starts."), field="end_date")
    post.end_date = end_date
    post.save(update_fields=["end_date"])
    audit(actor=actor, verb="post.end", obj=post, data={"end_date": end_date.isoformat()})
    return post


@transaction.atomic
def duty_hours_set(
    *, actor, user: User, hours: list[tuple[int, dt.time, dt.time]]
) -> list[DutyHours]:
    for weekday, start, end in hours:
        if not 0 <= weekday <= 6 or end <= start:
            raise DomainError(_("Duty hours must end after they start."), field="hours")
    DutyHours.objects.filter(user=user).delete()
    rows = DutyHours.objects.bulk_create(
        DutyHours(user=user, weekday=w, start=s, end=e) for w, s, e in hours
    )
    audit(actor=actor, verb="user.duty_hours", obj=user, data={"count": len(rows)})
    return rows


@transaction.atomic
def leave_create(
    *, actor, user: User, start: dt.datetime, end: dt.datetime, reason: str = ""
) -> Leave:
    if end <= start:
        raise DomainError(_("The leave must end after it starts."), field="end")
    if Leave.objects.filter(user=user, start__lt=end, end__gt=start).exists():
        raise DomainError(_("This leave overlaps another leave."), field="start")
    leave = Leave.objects.create(user=user, start=start, end=end, reason=reason[:200])
    audit(actor=actor, verb="user.leave", obj=leave)
    return leave
