"""Request guards that apply to every view."""

from __future__ import annotations

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

_NUL_MARKERS = (b"\x00", b"\\u0000", b"%00")


class RejectNulMiddleware:
    """Refuse a request whose query string or text body carries a NUL character.

    No field of ours can hold one, PostgreSQL text columns cannot store one, and a lookup
    with one fails deep in the database driver; one clear 400 here covers every form, filter
    and API field. File uploads (multipart) are binary and are not inspected here: their text
    fields are checked by the forms and serializers themselves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            message = _("The request contains a NUL character.")
            if request.path.startswith(("/api/", "/open311/")):
                return JsonResponse({"code": "invalid", "detail": message}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        query = request.META.get("QUERY_STRING", "").encode("latin-1", "replace")
        if b"%00" in query or b"\x00" in query:
            return True
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method in ("POST", "PUT", "PATCH") and not content_type.startswith("multipart/"):
            body = request.body  # cached by Django; views read it again
            return any(marker in body for marker in _NUL_MARKERS)
        return False
