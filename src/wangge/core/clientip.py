"""The address of the client that sent a request, for the public forms' rate limits."""

from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str:
    """REMOTE_ADDR, unless the request came through one of settings.WANGGE_TRUSTED_PROXIES:
    then the right-most X-Forwarded-For hop that is not itself a trusted proxy. A client can
    write anything into X-Forwarded-For, so the header is believed only from a trusted proxy,
    and only for the hops that proxy appended."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    trusted = set(getattr(settings, "WANGGE_TRUSTED_PROXIES", ()) or ())
    if remote not in trusted:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if hop not in trusted:
            return hop
    return remote
