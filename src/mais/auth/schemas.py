"""Request and response shapes of `/v1/auth/...`."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from mais.auth.passwords import MAX_PASSWORD_LENGTH
from mais.core.schemas import ApiModel, InputModel
from mais.models import Role

# Passwords are taken exactly as sent: no stripping, no normalisation.
Password = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


class LoginIn(InputModel):
    email: str = Field(min_length=1, max_length=320)
    password: str = Password


class LoginOut(ApiModel):
    token: str
    role: Role
    tenant_slug: str | None = Field(
        default=None, description="The tenant of a tenant admin; absent for platform admins."
    )
    expires_at: datetime


class PasswordChangeIn(InputModel):
    current_password: str = Password
    new_password: str = Password


class TokenOut(ApiModel):
    token: str
    expires_at: datetime


class PasswordResetRequestIn(InputModel):
    email: str = Field(min_length=1, max_length=320)


class PasswordResetConfirmIn(InputModel):
    token: str = Field(min_length=1, max_length=200)
    password: str = Password


class AcceptedOut(ApiModel):
    message: str
