"""Domain errors raised by services; views and the API turn them into clear messages."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule said no. Nothing was changed.

    `message` is a translatable, human message in the user's language; `code` is stable for
    clients; `field` names the input at fault where there is one; `details` carries structured
    data (e.g. the row and column of a bad spreadsheet cell).
    """

    code = "invalid"
    status = 400

    def __init__(
        self,
        message: Any,
        *,
        code: str | None = None,
        field: str | None = None,
        details: Any = None,
    ):
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.details = details

    def as_dict(self) -> dict:
        data = {"code": self.code, "detail": str(self.message)}
        if self.field:
            data["field"] = self.field
        if self.details is not None:
            data["details"] = self.details
        return data


class TransitionNotAllowed(DomainError):
    code = "transition_not_allowed"
    status = 409


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403


class NotFound(DomainError):
    code = "not_found"
    status = 404
