"""Passwords are Argon2id hashes with production-strength parameters, verified as typed."""

from __future__ import annotations

from argon2 import Type

from mais.auth.passwords import hash_password, production_hasher, verify_password


def test_production_parameters_meet_owasp_minimums():
    hasher = production_hasher()
    assert hasher.type is Type.ID
    # OWASP: Argon2id with at least 19 MiB of memory and 2 iterations.
    assert hasher.memory_cost >= 19 * 1024
    assert hasher.time_cost >= 2


def test_hashes_are_argon2id_and_passwords_are_never_altered():
    hashed = hash_password("  Spaces & CASE kept  ")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "  Spaces & CASE kept  ")
    assert not verify_password(hashed, "Spaces & CASE kept")
    assert not verify_password(hashed, "  spaces & case kept  ")
    assert not verify_password(None, "anything")
