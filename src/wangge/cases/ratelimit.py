"""Fixed-window rate limits on public POSTs, counted in the shared Django cache."""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def client_ip(request) -> str:
    # Behind the load balancer the proxy's own address is REMOTE_ADDR; the deployment sets
    # X-Forwarded-For. Take the last hop the proxy added, not a client-supplied first value.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def hit(scope: str, ident: str, *, limit: int, window: int) -> bool:
    """Count one hit; False when `ident` has used up `limit` hits in this `window` seconds."""
    if not ident:
        return True
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    key = f"rl:{scope}:{digest}"
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    return count <= limit
