"""Login timing does not reveal whether an e-mail has an account."""

from __future__ import annotations

import time

import pytest

from tests.factories.world import make_tenant


@pytest.fixture
def settings_overrides():
    return {"rate_limit_auth_attempts": 1000}


async def test_unknown_email_costs_as_much_time_as_a_wrong_password(container, client):
    """Both paths run one Argon2 verification; an attacker cannot tell which e-mails exist."""
    tenant = await make_tenant(container)

    async def timed(email: str) -> float:
        # CPU time of this process: what the login costs, not what other processes on a
        # busy machine cost it (wall-clock time of an Argon2 verification swings with load).
        started = time.process_time()
        response = await client.post("/v1/auth/login", json={"email": email, "password": "x-y-z"})
        assert response.status_code == 401
        return time.process_time() - started

    known: list[float] = []
    unknown: list[float] = []
    for _ in range(6):  # interleaved, so a busy machine slows both series alike
        known.append(await timed(tenant.email))
        unknown.append(await timed("ghost@example.com"))

    # The fastest run of each is the least disturbed by other work on the machine.
    ratio = min(unknown) / min(known)
    assert 0.75 < ratio < 1.33, (known, unknown)
