"""Helpers shared by the server-rendered forms."""

from __future__ import annotations

from django import forms

from .errors import DomainError


def add_domain_error(form: forms.Form, error: DomainError, aliases: dict | None = None) -> None:
    """Put a service's DomainError on the form field it names (or on the form as a whole),
    so the message appears next to the input at fault."""
    field = (aliases or {}).get(error.field, error.field)
    if field not in form.fields:
        field = None
    form.add_error(field, str(error.message))
