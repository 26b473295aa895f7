"""Field encryption for personal data (ID numbers): Fernet for the value, an HMAC blind index
for exact-match lookups, so that the database never holds a readable ID number."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _keys(secret: str, configured: str) -> tuple[MultiFernet, bytes]:
    if configured:
        # Several comma-separated keys allow rotation: the first encrypts, all decrypt.
        fernets = [Fernet(k.strip().encode()) for k in configured.split(",") if k.strip()]
        index_key = hashlib.sha256(
            b"wangge-blind-index:" + configured.split(",")[0].encode()
        ).digest()
    else:
        derived = hashlib.sha256(b"wangge-field-key:" + secret.encode()).digest()
        fernets = [Fernet(base64.urlsafe_b64encode(derived))]
        index_key = hashlib.sha256(b"wangge-blind-index:" + secret.encode()).digest()
    return MultiFernet(fernets), index_key


def _current():
    return _keys(settings.SECRET_KEY, getattr(settings, "FIELD_ENCRYPTION_KEY", ""))


def encrypt(value: str) -> str:
    return _current()[0].encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current()[0].decrypt(token.encode()).decode()
    except InvalidToken as exc:  # a wrong key must be loud, never a silent empty value
        raise ValueError("cannot decrypt field: wrong FIELD_ENCRYPTION_KEY?") from exc


def blind_index(value: str) -> str:
    return hmac.new(_current()[1], value.encode(), hashlib.sha256).hexdigest()
