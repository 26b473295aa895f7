"""Fixed-window rate limits on public POSTs, counted in the shared Django cache."""

from __future__ import annotations

import hashlib

from django.core.cache import cache

from wangge.core.clientip import client_ip  # noqa: F401 - imported from here by callers


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
