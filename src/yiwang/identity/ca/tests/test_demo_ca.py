"""``yiwang ca``: the demo CA makes SM2 and ECDSA chains, registers them, issues, binds, revokes and publishes CRLs."""

from __future__ import annotations

import json
import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from yiwang.identity.ca import queries
from yiwang.identity.ca.demo import DemoCa
from yiwang.identity.ca.domain.x509 import parse_certificate
from yiwang.identity.ca.tests.support import PERSON_ID, PUJIANG
from yiwang.kernel.crypto import load_private_key, signer_for


def ca(*args: str) -> str:
    out = StringIO()
    call_command("ca", *args, stdout=out)
    return out.getvalue()


def _issued_serial(output: str) -> str:
    return output.split()[1]


@pytest.mark.parametrize("algorithm", ["sm2", "ecdsa"])
def test_init_register_issue_bind_revoke(people, tmp_path, algorithm):
    directory = str(tmp_path / "demo-ca")
    ca("init", "--dir", directory, "--register")
    listed = queries.list_trusted_cas()
    assert sorted((c.kind, c.algorithm) for c in listed) == [
        ("intermediate", "ecdsa"),
        ("intermediate", "sm2"),
        ("root", "ecdsa"),
        ("root", "sm2"),
    ]
    assert all(c.crl_number == "1" for c in listed)
    key_file = tmp_path / "demo-ca" / algorithm / "root.key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    out = ca(
        "issue", "--dir", directory, "--entity", PUJIANG, "--alg", algorithm, "--bind", "--out", str(tmp_path / "a")
    )
    serial = _issued_serial(out)
    assert "bound to entity" in out
    cert = parse_certificate((tmp_path / "a" / "cert.pem").read_bytes())
    assert cert.subject_value("serialNumber") == [PUJIANG]
    assert cert.subject_value("O") == ["上海浦江数智建设工程有限公司"]  # the registry's name
    assert len((tmp_path / "a" / "chain.pem").read_text().split("BEGIN CERTIFICATE")) == 4
    key = load_private_key((tmp_path / "a" / "key.pem").read_bytes())
    signature = signer_for(key).sign(b"demo")
    check = queries.verify_signed(b"demo", signature, cert.der, expected_entity_id=people.entity_a)
    assert check.ok, check

    ca("revoke", "--dir", directory, serial)
    assert queries.verify_signed(b"demo", signature, cert.der).ok  # not published yet
    ca("crl", "--dir", directory, "--import")
    assert queries.verify_signed(b"demo", signature, cert.der).reason == "ca.revoked"
    with pytest.raises(CommandError, match="already revoked"):
        ca("revoke", "--dir", directory, serial)


def test_personal_certificates_and_errors(people, tmp_path):
    directory = str(tmp_path / "d")
    with pytest.raises(CommandError, match="ca init"):
        ca("issue", "--dir", directory, "--entity", PUJIANG)
    ca("init", "--dir", directory, "--alg", "sm2")
    out = ca("issue", "--dir", directory, "--person", PERSON_ID, "--name", "王小二")
    serial = _issued_serial(out)
    state = json.loads((tmp_path / "d" / "state.json").read_text())
    assert state["issued"][serial]["person"] == "1101**********002X"  # the state file keeps no full number
    assert PERSON_ID not in (tmp_path / "d" / "state.json").read_text()
    cert = parse_certificate((tmp_path / "d" / "issued" / serial / "cert.pem").read_bytes())
    assert cert.subject_value("CN") == ["王小二"]
    with pytest.raises(CommandError, match="uscc"):
        ca("issue", "--dir", directory, "--entity", "91310115MA1FL2X37X")
    with pytest.raises(CommandError, match="not issued"):
        ca("revoke", "--dir", directory, "ABCDEF")
    # --register twice keeps one copy of each CA
    ca("register", "--dir", directory)
    out = ca("register", "--dir", directory)
    assert "already on the trust list" in out
    assert len(queries.list_trusted_cas()) == 2


def test_the_demo_ca_directory_api(tmp_path, clock):
    demo = DemoCa(tmp_path)
    made = demo.init(at=clock.now(), algorithms=("ecdsa",))
    assert [f.role for f in made] == ["root", "sub"]
    again = demo.init(at=clock.now(), algorithms=("ecdsa",))
    assert again[0].certificate.der == made[0].certificate.der  # kept unless forced
    issued = demo.issue(algorithm="ecdsa", at=clock.now(), entity=PUJIANG, days=30)
    assert issued.certificate.not_after - issued.certificate.not_before == __import__("datetime").timedelta(days=30)
    paths = demo.make_crls(at=clock.now())
    assert [p.name for p in paths] == ["root.crl.pem", "sub.crl.pem"]
