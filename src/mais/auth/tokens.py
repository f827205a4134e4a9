"""Admin access tokens: HS256 JWTs with issuer, audience, expiry, and role/tenant claims.

A token says who the user was when it was issued; `mais.auth.dependencies` checks it
against the user's current row (role, tenant, `tokens_valid_after`) on every request.
`iat` carries sub-second precision so a token issued right after a password change is
told apart from the ones the change revoked."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from mais.core.errors import Unauthorized
from mais.models import Role, User, utcnow
from mais.settings import Settings

ISSUER = "mais"
AUDIENCE = "mais-admin-api"
ALGORITHM = "HS256"
ACCESS_TOKEN_TTL = timedelta(hours=1)

BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="mais"'}


class BearerUnauthorized(Unauthorized):
    """A 401 that tells the client to authenticate with a bearer token."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers=dict(BEARER_CHALLENGE))


class AuthenticationRequired(BearerUnauthorized):
    code = "AUTHENTICATION_REQUIRED"
    message = "Send `Authorization: Bearer <token>`."


class InvalidToken(BearerUnauthorized):
    code = "INVALID_TOKEN"
    message = "The access token is invalid."


class TokenExpired(BearerUnauthorized):
    code = "TOKEN_EXPIRED"
    message = "The access token has expired; log in again."


class TokenRevoked(BearerUnauthorized):
    code = "TOKEN_REVOKED"
    message = "The access token was revoked (password changed); log in again."


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    role: Role
    tenant_id: uuid.UUID | None
    issued_at: float  # seconds since the epoch, with fractions


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


class TokenSigner:
    def __init__(self, secret: str, ttl: timedelta = ACCESS_TOKEN_TTL) -> None:
        self._secret = secret
        self.ttl = ttl

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenSigner:
        return cls(settings.effective_jwt_secret)

    def issue(self, user: User, now: datetime | None = None) -> IssuedToken:
        now = now or utcnow()
        expires_at = now + self.ttl
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(user.id),
            "iat": now.timestamp(),
            "exp": int(expires_at.timestamp()),
            "role": user.role,
            "tid": str(user.tenant_id) if user.tenant_id else None,
        }
        token = jwt.encode(claims, self._secret, algorithm=ALGORITHM)
        return IssuedToken(token=token, expires_at=expires_at.replace(microsecond=0))

    def verify(self, token: str) -> AccessClaims:
        """The claims of a token this server signed; raises 401 errors otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],  # never "none", never an algorithm the token picks
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["iss", "aud", "sub", "iat", "exp", "role"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenExpired() from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken() from exc
        try:
            role = Role(claims["role"])
            user_id = uuid.UUID(claims["sub"])
            raw_tenant = claims.get("tid")
            tenant_id = uuid.UUID(raw_tenant) if raw_tenant is not None else None
            issued_at = float(claims["iat"])
        except (ValueError, TypeError, AttributeError) as exc:
            raise InvalidToken() from exc
        if (role is Role.tenant_admin) != (tenant_id is not None):
            raise InvalidToken()
        return AccessClaims(user_id=user_id, role=role, tenant_id=tenant_id, issued_at=issued_at)


def issued_before(claims: AccessClaims, instant: datetime | None) -> bool:
    """True when the token predates `instant` (a password change or a logout-everywhere)."""
    return instant is not None and claims.issued_at < instant.astimezone(UTC).timestamp()
