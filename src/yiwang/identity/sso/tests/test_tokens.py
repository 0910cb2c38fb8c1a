"""Refresh tokens rotate and a replayed one ends its family; the signing key is made once, private, and stable."""

from __future__ import annotations

import base64
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from django.test import Client

from yiwang.identity.sso import keys

from .conftest import sign_in_and_consent


def _refresh(rp, refresh_token: str):
    basic = base64.b64encode(f"{rp.client_id}:{rp.client_secret}".encode()).decode()
    return rp.backchannel.post(
        "/sso/token/",
        urlencode({"grant_type": "refresh_token", "refresh_token": refresh_token}),
        "application/x-www-form-urlencoded",
        headers={"Authorization": f"Basic {basic}"},
    )


@pytest.mark.django_db
def test_refresh_tokens_rotate_and_a_replay_revokes_the_family(relying_party, person):
    first = relying_party.redeem(relying_party.code_from(sign_in_and_consent(Client(), relying_party, "lina"))).json()
    second = _refresh(relying_party, first["refresh_token"])
    assert second.status_code == 200, second.content
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert relying_party.userinfo(rotated["access_token"]).status_code == 200
    # the old refresh token presented again: refused, and the whole family (the new tokens too) is revoked
    replay = _refresh(relying_party, first["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert _refresh(relying_party, rotated["refresh_token"]).status_code == 400
    assert relying_party.userinfo(rotated["access_token"]).status_code == 401


def test_the_signing_key_is_made_once_and_kept_private(tmp_path, monkeypatch):
    made = []
    real = keys._new_pem
    monkeypatch.setattr(keys, "_new_pem", lambda: made.append(1) or real())
    directory = tmp_path / "oidc"
    with ThreadPoolExecutor(4) as pool:
        pems = list(pool.map(lambda _: keys.signing_key_pem(directory), range(4)))
    assert len(set(pems)) == 1
    assert made == [1]
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(directory / keys.KEY_FILE).st_mode) == 0o600
    keys._cache.clear()  # a new process reads the same key back
    assert keys.signing_key_pem(directory) == pems[0]
    assert made == [1]


def test_a_key_that_is_not_rsa_is_refused(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    directory = tmp_path / "oidc"
    directory.mkdir(mode=0o700)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (directory / keys.KEY_FILE).write_bytes(pem)
    with pytest.raises(ValueError, match="not an RSA private key"):
        keys.signing_key_pem(directory)
