"""API key formats (SPEC §2) and how secret keys are hashed for storage.

Public:  pk_live_<slug>_<16 lowercase hex>   (not secret; used by the widget)
Secret:  sk_live_<slug>_<32+ lowercase hex>  (shown once; stored only as HMAC-SHA-256)
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from enum import StrEnum

from mais.tenants.slugs import SLUG_PATTERN

PUBLIC_KEY_RE = re.compile(rf"^pk_live_(?P<slug>{SLUG_PATTERN})_(?P<token>[0-9a-f]{{16}})$")
SECRET_KEY_RE = re.compile(rf"^sk_live_(?P<slug>{SLUG_PATTERN})_(?P<token>[0-9a-f]{{32,128}})$")


class KeyShape(StrEnum):
    public = "public"
    secret = "secret"  # nosec B105 # noqa: S105 - an enum label, not a password
    malformed = "malformed"


def new_public_key(slug: str) -> str:
    return f"pk_live_{slug}_{secrets.token_hex(8)}"


def new_secret_key(slug: str) -> str:
    return f"sk_live_{slug}_{secrets.token_hex(24)}"


def shape_of(key: str) -> KeyShape:
    if PUBLIC_KEY_RE.fullmatch(key):
        return KeyShape.public
    if SECRET_KEY_RE.fullmatch(key):
        return KeyShape.secret
    return KeyShape.malformed


def derive_hmac_key(encryption_key: bytes) -> bytes:
    """A key for hashing API keys, separate from the key that encrypts tenant secrets."""
    return hmac.new(encryption_key, b"mais/api-key-hash/v1", hashlib.sha256).digest()


def secret_key_lookup(secret_key: str, hmac_key: bytes) -> str:
    return hmac.new(hmac_key, secret_key.encode(), hashlib.sha256).hexdigest()


def lookup_of(key: str, hmac_key: bytes) -> str:
    """What `tenant_api_keys.lookup` holds for this key."""
    return key if key.startswith("pk_live_") else secret_key_lookup(key, hmac_key)


def secret_hint(secret_key: str) -> str:
    """Enough of a secret key to recognise it, never enough to use it."""
    prefix, token = secret_key.rsplit("_", 1)
    return f"{prefix}_…{token[-4:]}"
