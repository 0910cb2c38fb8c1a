"""Pure rules: certificate parsing and building (SM2, ECDSA, RSA), path validation with every reason code,
subject mapping, CRLs, signing inputs and the challenge format. No database."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.identity.ca.domain import challenge
from yiwang.identity.ca.domain.build import build_name
from yiwang.identity.ca.domain.chain import InMemoryRevocation, TrustedCa, validate, validate_ca_certificate
from yiwang.identity.ca.domain.crl import check_crl_issued_by, parse_crl
from yiwang.identity.ca.domain.errors import CaRefused
from yiwang.identity.ca.domain.mapping import PRESETS, map_subject, parse_mapping
from yiwang.identity.ca.domain.signing import (
    api_signing_input,
    document_digest,
    document_signing_input,
    parse_timestamp,
)
from yiwang.identity.ca.domain.x509 import parse_certificate, verify_issued_by
from yiwang.identity.ca.tests.support import PERSON_ID, PUJIANG, T0, Pki
from yiwang.kernel.crypto import generate_private_key, signer_for
from yiwang.kernel.ids import make_uscc

DEMO = parse_mapping("demo")


def trust_list(pki: Pki, *, root_status="active", sub_status="active", mapping=DEMO, crl_policy="fail"):
    return [
        TrustedCa(1, "root", pki.root.cert, root_status, mapping, crl_policy),
        TrustedCa(2, "sub", pki.sub.cert, sub_status, parse_mapping(None), crl_policy),
    ]


def crls(pki: Pki, revoked=None, **kwargs) -> InMemoryRevocation:
    return InMemoryRevocation({1: parse_crl(pki.crl("root")), 2: parse_crl(pki.crl("sub", revoked, **kwargs))})


@pytest.fixture(scope="module")
def sm2() -> Pki:
    return Pki("sm2")


@pytest.fixture(scope="module")
def ecdsa() -> Pki:
    return Pki("ecdsa")


# -- parsing and building ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["sm2", "ecdsa", "rsa"])
def test_built_chains_parse_and_verify(algorithm):
    pki = Pki(algorithm)
    leaf = pki.issue(entity=PUJIANG)
    assert pki.root.cert.self_issued
    assert pki.root.cert.is_ca
    assert pki.root.cert.path_len == 1
    assert verify_issued_by(pki.root.cert, pki.root.cert)
    assert verify_issued_by(pki.sub.cert, pki.root.cert)
    assert verify_issued_by(leaf.cert, pki.sub.cert)
    assert not verify_issued_by(leaf.cert, pki.root.cert)
    expected = {"sm2": "sm2-sm3", "ecdsa": "ecdsa-p256-sha256", "rsa": "rsa-pss-sha256"}[algorithm]
    assert leaf.cert.signature_algorithm == expected
    assert leaf.cert.key_usage == {"digital_signature", "non_repudiation"}
    assert leaf.cert.subject_value("serialNumber") == [PUJIANG]
    assert leaf.cert.authority_key_id == pki.sub.cert.subject_key_id
    assert len(leaf.cert.fingerprint_sha256) == len(leaf.cert.fingerprint_sm3) == 64


def test_pem_and_der_give_the_same_certificate(sm2):
    leaf = sm2.issue(entity=PUJIANG)
    assert parse_certificate(leaf.pem).fingerprint_sha256 == leaf.cert.fingerprint_sha256
    assert parse_certificate(leaf.pem.encode()).der == leaf.cert.der


@pytest.mark.parametrize(
    "data",
    [b"", b"not a certificate", b"\x30\x03\x02\x01\x01", "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----"],
)
def test_garbage_is_malformed(data):
    with pytest.raises(CaRefused) as err:
        parse_certificate(data)
    assert err.value.code == "ca.malformed"


def test_a_pem_with_another_label_is_refused(sm2):
    from asn1crypto import pem

    with pytest.raises(CaRefused, match=r"ca\.malformed"):
        parse_certificate(pem.armor("PUBLIC KEY", sm2.root.cert.der))


def test_cryptography_made_rsa_chain_is_accepted():
    """An RSA root and leaf made by another library (sha256WithRSAEncryption) validate here."""
    key = generate_private_key("rsa", rsa_bits=2048)
    name = cx509.Name(
        [cx509.NameAttribute(NameOID.COUNTRY_NAME, "CN"), cx509.NameAttribute(NameOID.COMMON_NAME, "RSA Root")]
    )
    root = (
        cx509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.key.public_key())
        .serial_number(7)
        .not_valid_before(T0 - timedelta(days=10))
        .not_valid_after(T0 + timedelta(days=100))
        .add_extension(cx509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key.key, hashes.SHA256())
    )
    leaf_key = generate_private_key("rsa", rsa_bits=2048)
    leaf = (
        cx509.CertificateBuilder()
        .subject_name(
            cx509.Name(
                [
                    cx509.NameAttribute(NameOID.COMMON_NAME, "某公司"),
                    cx509.NameAttribute(NameOID.SERIAL_NUMBER, PUJIANG),
                ]
            )
        )
        .issuer_name(name)
        .public_key(leaf_key.key.public_key())
        .serial_number(8)
        .not_valid_before(T0 - timedelta(days=1))
        .not_valid_after(T0 + timedelta(days=30))
        .sign(key.key, hashes.SHA256())
    )
    root_cert = parse_certificate(root.public_bytes(serialization.Encoding.DER))
    leaf_cert = parse_certificate(leaf.public_bytes(serialization.Encoding.PEM))
    assert leaf_cert.signature_algorithm == "rsa-pkcs1v15-sha256"
    result = validate(
        leaf_cert, [TrustedCa(1, "rsa", root_cert, mapping=DEMO, crl_policy="warn")], InMemoryRevocation(), at=T0
    )
    assert result.ok, result
    assert result.subject.identifier == PUJIANG
    assert result.warnings == ("ca.crl_missing",)


# -- path validation, one reason at a time -----------------------------------------------------------------------


@pytest.mark.parametrize("which", ["sm2", "ecdsa"])
def test_a_good_chain_validates_and_maps_the_subject(which, sm2, ecdsa):
    pki = {"sm2": sm2, "ecdsa": ecdsa}[which]
    leaf = pki.issue(entity=PUJIANG)
    result = validate(leaf.cert, trust_list(pki), crls(pki), at=T0)
    assert result.ok, result
    assert [ca.id for ca in result.path] == [2, 1]
    assert (result.subject.kind, result.subject.identifier) == ("entity", PUJIANG)


def test_a_personal_certificate_maps_to_the_resident_id(sm2):
    leaf = sm2.issue(person=PERSON_ID, name="王小二")
    result = validate(leaf.cert, trust_list(sm2), crls(sm2), at=T0)
    assert result.ok
    assert (result.subject.kind, result.subject.identifier, result.subject.name) == ("person", PERSON_ID, "王小二")
    assert result.subject.masked == "1101**********002X"


def test_unknown_issuer(sm2):
    other = Pki("sm2", label="别家")
    result = validate(other.issue(entity=PUJIANG).cert, trust_list(sm2), crls(sm2), at=T0)
    assert (result.ok, result.reason) == (False, "ca.unknown_issuer")


def test_a_chain_that_stops_below_the_root_is_untrusted(sm2):
    leaf = sm2.issue(entity=PUJIANG)
    only_sub = [TrustedCa(2, "sub", sm2.sub.cert, mapping=DEMO)]
    assert validate(leaf.cert, only_sub, crls(sm2), at=T0).reason == "ca.untrusted"


@pytest.mark.parametrize(
    ("root", "sub", "reason"),
    [
        ("removed", "active", "ca.untrusted"),
        ("active", "removed", "ca.untrusted"),
        ("suspended", "active", "ca.ca_suspended"),
        ("active", "suspended", "ca.ca_suspended"),
        ("suspended", "removed", "ca.untrusted"),
    ],
)
def test_status_of_every_ca_on_the_path_counts(sm2, root, sub, reason):
    leaf = sm2.issue(entity=PUJIANG)
    result = validate(leaf.cert, trust_list(sm2, root_status=root, sub_status=sub), crls(sm2), at=T0)
    assert (result.ok, result.reason) == (False, reason)


def test_expired_and_not_yet_valid(sm2):
    leaf = sm2.issue(entity=PUJIANG, not_before=T0 - timedelta(days=400), days=365)
    assert validate(leaf.cert, trust_list(sm2), crls(sm2), at=T0).reason == "ca.expired"
    future = sm2.issue(entity=PUJIANG, not_before=T0 + timedelta(days=2))
    result = validate(future.cert, trust_list(sm2), crls(sm2), at=T0)
    assert result.reason == "ca.not_yet_valid"
    assert result.details["role"] == "end_entity"
    # the same certificate is fine at an instant inside its validity (time is injected)
    assert validate(
        future.cert, trust_list(sm2), crls(sm2, this_update=T0 + timedelta(days=3)), at=T0 + timedelta(days=3)
    ).ok


def test_an_expired_intermediate_fails_the_chain(sm2):
    old_sub = sm2.intermediate(not_before=T0 - timedelta(days=100), not_after=T0 - timedelta(days=1))
    leaf = sm2.issue(entity=PUJIANG, issuer=old_sub, not_before=T0 - timedelta(days=50))
    cas = [TrustedCa(1, "root", sm2.root.cert, mapping=DEMO), TrustedCa(2, "old", old_sub.cert)]
    result = validate(leaf.cert, cas, InMemoryRevocation(), at=T0)
    assert (result.reason, result.details["role"]) == ("ca.expired", "ca")


def test_revoked_from_the_revocation_date_on(sm2):
    leaf = sm2.issue(entity=PUJIANG)
    revocation = crls(sm2, [leaf.cert], revoked_at=T0 - timedelta(minutes=30))
    result = validate(leaf.cert, trust_list(sm2), revocation, at=T0)
    assert (result.reason, result.details["serial"]) == ("ca.revoked", leaf.cert.serial_hex)
    assert validate(leaf.cert, trust_list(sm2), revocation, at=T0 - timedelta(hours=2)).ok


def test_a_revoked_intermediate_fails_its_children(sm2):
    leaf = sm2.issue(entity=PUJIANG)
    revocation = InMemoryRevocation({1: parse_crl(sm2.crl("root", [sm2.sub.cert])), 2: parse_crl(sm2.crl("sub"))})
    result = validate(leaf.cert, trust_list(sm2), revocation, at=T0)
    assert (result.reason, result.details["serial"]) == ("ca.revoked", sm2.sub.cert.serial_hex)


def test_bad_chain_signature_when_a_forger_copies_the_issuer_name(sm2):
    forger = generate_private_key("sm2")
    forged = sm2.issue(entity=PUJIANG, signer_key=forger)
    result = validate(forged.cert, trust_list(sm2), crls(sm2), at=T0)
    assert result.reason == "ca.bad_chain_signature"


def test_a_tampered_certificate_fails_its_chain_signature(sm2):
    leaf = sm2.issue(entity=PUJIANG)
    tampered = leaf.cert.der.replace(PUJIANG.encode(), b"91310112MA1G8K4P1Q")
    assert tampered != leaf.cert.der
    assert validate(parse_certificate(tampered), trust_list(sm2), crls(sm2), at=T0).reason == "ca.bad_chain_signature"


def test_crl_missing_and_stale_fail_or_warn_per_policy(sm2):
    leaf = sm2.issue(entity=PUJIANG)
    assert validate(leaf.cert, trust_list(sm2), InMemoryRevocation(), at=T0).reason == "ca.crl_missing"
    warn = validate(leaf.cert, trust_list(sm2, crl_policy="warn"), InMemoryRevocation(), at=T0)
    assert warn.ok
    assert warn.warnings == ("ca.crl_missing",)
    stale = crls(sm2, this_update=T0 - timedelta(days=10), next_update=T0 - timedelta(days=3))
    assert validate(leaf.cert, trust_list(sm2), stale, at=T0).reason == "ca.crl_stale"
    assert validate(leaf.cert, trust_list(sm2, crl_policy="warn"), stale, at=T0).warnings == ("ca.crl_stale",)


def test_ca_constraints_are_enforced(sm2):
    not_a_ca = sm2.intermediate(is_ca=False)
    leaf = sm2.issue(entity=PUJIANG, issuer=not_a_ca)
    cas = [TrustedCa(1, "root", sm2.root.cert, mapping=DEMO), TrustedCa(3, "x", not_a_ca.cert)]
    assert validate(leaf.cert, cas, InMemoryRevocation(), at=T0).reason == "ca.not_a_ca"
    no_signing = sm2.issue(entity=PUJIANG, key_usage={"key_encipherment"})
    assert validate(no_signing.cert, trust_list(sm2), crls(sm2), at=T0).reason == "ca.key_usage"


def test_path_length_constraint(sm2):
    """The issuing CA has pathLen 0: a CA below it is refused at registration and in validation."""
    from yiwang.identity.ca.domain.build import CertificateSpec, build_certificate

    key = generate_private_key("sm2")
    third = parse_certificate(
        build_certificate(
            CertificateSpec(
                subject=[("CN", "third level")], not_before=sm2.start, not_after=T0 + timedelta(days=90), is_ca=True
            ),
            key.public_key,
            signer_for(sm2.sub.key),
            issuer_name=sm2.sub.cert.subject,
            issuer_key_id=sm2.sub.cert.subject_key_id,
        )
    )
    with pytest.raises(CaRefused) as err:
        validate_ca_certificate(third, trust_list(sm2), at=T0)
    assert (err.value.code, err.value.details["reason"]) == ("ca.not_a_ca", "pathLenConstraint exceeded")
    cas = [*trust_list(sm2), TrustedCa(3, "third", third)]
    leaf = sm2.issue(entity=PUJIANG, issuer=type(sm2.sub)(key, third))
    assert validate(leaf.cert, cas, InMemoryRevocation(), at=T0).reason == "ca.not_a_ca"
    # the issuing CA itself registers fine under the root; an unknown root is refused
    assert validate_ca_certificate(sm2.sub.cert, trust_list(sm2), at=T0)[0].id == 1
    with pytest.raises(CaRefused, match=r"ca\.unknown_issuer"):
        validate_ca_certificate(Pki("sm2", label="别家").sub.cert, trust_list(sm2), at=T0)


def test_subject_unmapped(sm2):
    leaf = sm2.issue(subject=[("C", "CN"), ("CN", "没有代码的证书")])
    result = validate(leaf.cert, trust_list(sm2), crls(sm2), at=T0)
    assert (result.ok, result.reason) == (False, "ca.subject_unmapped")
    assert validate(leaf.cert, trust_list(sm2), crls(sm2), at=T0, map_to_subject=False).ok


# -- CRLs ---------------------------------------------------------------------------------------------------------


def test_crl_round_trip_and_issuer_check(sm2):
    leaf = sm2.issue(entity=PUJIANG)
    crl = parse_crl(sm2.crl("sub", [leaf.cert], number=41))
    assert crl.crl_number == 41
    assert crl.revocation_of(leaf.cert.serial).reason == "key_compromise"
    check_crl_issued_by(crl, sm2.sub.cert)
    with pytest.raises(CaRefused, match=r"ca\.crl_unknown_issuer"):
        check_crl_issued_by(crl, sm2.root.cert)
    tampered = bytearray(crl.der)
    tampered[-5] ^= 0x01
    with pytest.raises(CaRefused, match=r"ca\.crl_signature_invalid"):
        check_crl_issued_by(parse_crl(bytes(tampered)), sm2.sub.cert)
    with pytest.raises(CaRefused, match=r"ca\.malformed"):
        parse_crl(b"garbage")


# -- subject mapping -----------------------------------------------------------------------------------------------


def _cert_with(sm2: Pki, subject):
    return sm2.issue(subject=subject).cert


@pytest.mark.parametrize(
    ("preset", "subject", "expected"),
    [
        ("cn", [("CN", f"上海浦江数智建设工程有限公司({PUJIANG})")], PUJIANG),
        ("ou", [("O", "上海浦江"), ("OU", PUJIANG)], PUJIANG),
        ("ou", [("O", "上海浦江"), ("OU", "技术部"), ("OU", PUJIANG.lower())], PUJIANG),
    ],
)
def test_presets(sm2, preset, subject, expected):
    mapped = map_subject(_cert_with(sm2, subject), parse_mapping(preset))
    assert (mapped.kind, mapped.identifier) == ("entity", expected)


def test_a_pattern_and_prefix_rule(sm2):
    mapping = parse_mapping(
        {"rules": [{"kind": "entity", "source": "subject.CN", "prefix": "USCC:", "pattern": r"^([0-9A-Z]{18})$"}]}
    )
    assert map_subject(_cert_with(sm2, [("CN", f"USCC:{PUJIANG}")]), mapping).identifier == PUJIANG


def test_a_wrong_check_character_does_not_map(sm2):
    wrong = PUJIANG[:-1] + ("G" if PUJIANG[-1] != "G" else "H")
    with pytest.raises(CaRefused, match=r"ca\.subject_unmapped"):
        map_subject(_cert_with(sm2, [("serialNumber", wrong)]), DEMO)


@pytest.mark.parametrize(
    "config",
    [
        "nope",
        {"rules": "x"},
        {"rules": [{"kind": "robot", "source": "subject.CN"}]},
        {"rules": [{"kind": "entity", "source": "issuer.CN"}]},
        {"rules": [{"kind": "entity", "source": "subject.NOPE"}]},
        {"rules": [{"kind": "entity", "source": "ext.abc"}]},
        {"rules": [{"kind": "entity", "source": "subject.CN", "pattern": "("}]},
        {"rules": [{"kind": "entity", "source": "subject.CN", "extra": 1}]},
        {"rules": [], "more": 1},
    ],
)
def test_bad_mapping_configurations(config):
    with pytest.raises(CaRefused) as err:
        parse_mapping(config)
    assert err.value.code == "ca.mapping_invalid"


def test_presets_round_trip():
    for name, config in PRESETS.items():
        assert parse_mapping(name).as_config() == config


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@settings(max_examples=40, deadline=None)
@given(
    orgcode=st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8),
    before=st.text(alphabet="上海有限公司（）() -", max_size=12),
    after=st.text(alphabet="上海有限公司（）() -", max_size=12),
)
def test_a_uscc_anywhere_in_the_cn_is_found(sm2_module_leaf_factory, orgcode, before, after):
    code = make_uscc("9", "1", "310115", orgcode)
    cert = sm2_module_leaf_factory([("CN", f"{before}{code}{after}")])
    assert map_subject(cert, parse_mapping("cn")).identifier == code


@pytest.fixture(scope="module")
def sm2_module_leaf_factory(sm2):
    cache = {}

    def make(subject):
        key = tuple(subject)
        if key not in cache:
            cache[key] = sm2.issue(subject=subject).cert
        return cache[key]

    return make


# -- signing inputs and challenges -----------------------------------------------------------------------------------


def test_document_digest_follows_the_key_family():
    assert document_digest(b"abc", "sm2")[0] == "sm3"
    assert document_digest(b"abc", "ecdsa")[0] == "sha256"
    message = document_signing_input(*document_digest(b"abc", "sm2"))
    assert message.startswith(b"yiwang-document-v1\nsm3:66c7f0f4")
    with pytest.raises(CaRefused):
        document_signing_input("md5", b"x" * 16)


def test_api_signing_input_is_canonical():
    a = api_signing_input({"b": 1, "a": "中"}, timestamp="2026-03-02T01:00:00Z", nonce="n" * 16)
    b = api_signing_input({"a": "中", "b": 1}, timestamp="2026-03-02T01:00:00Z", nonce="n" * 16)
    assert a == b
    assert a.endswith('{"a":"中","b":1}'.encode())
    for bad in ({"timestamp": "yesterday"}, {"timestamp": "2026-03-02T01:00:00"}, {"nonce": "short"}):
        kwargs = {"timestamp": "2026-03-02T01:00:00Z", "nonce": "n" * 16, **bad}
        with pytest.raises(CaRefused, match=r"ca\.malformed"):
            api_signing_input({}, **kwargs)
    assert parse_timestamp("2026-03-02T09:00:00+08:00") == datetime(2026, 3, 2, 1, tzinfo=UTC)


@settings(max_examples=30, deadline=None)
@given(text=st.text(max_size=60), account=st.integers(min_value=1, max_value=10**9), seconds=st.integers(120, 300))
def test_challenge_round_trip(text, account, seconds):
    made = challenge.Challenge(
        id="0" * 31 + "1",
        purpose="login_confirm",
        nonce="abc",
        account=f"account:{account}",
        platform="12310000900000014L",
        issued_at=T0,
        expires_at=T0 + timedelta(seconds=seconds),
        respond="/api/v1/ca/challenges/x/respond",
        text=text,
    )
    line = made.encode()
    assert line.isascii()
    assert line.startswith("YWSIGN1.")
    assert challenge.decode(line) == made
    assert challenge.signing_bytes(line + "\n") == line.encode()


@pytest.mark.parametrize("line", ["", "hello", "YWSIGN1.", "YWSIGN1.e30", "YWSIGN1.!!!", "YWSIGN2.e30"])
def test_malformed_challenges(line):
    with pytest.raises(CaRefused, match=r"ca\.challenge_malformed"):
        challenge.decode(line)


# -- interoperability -------------------------------------------------------------------------------------------


def _openssl_supports_sm2() -> bool:
    exe = shutil.which("openssl")
    if exe is None:
        return False
    out = subprocess.run([exe, "version"], capture_output=True, text=True, check=False)
    return out.stdout.startswith("OpenSSL 3")


@pytest.mark.skipif(not _openssl_supports_sm2(), reason="needs the OpenSSL 3 command line")
@pytest.mark.parametrize("algorithm", ["sm2", "ecdsa"])
def test_openssl_3_verifies_the_chain(tmp_path, algorithm):
    """What we build is standard: OpenSSL 3 verifies the chain (SM2 with -vfyopt distid:1234567812345678)."""
    pki = Pki(algorithm, start=datetime.now(UTC) - timedelta(days=2))
    leaf = pki.issue(entity=PUJIANG, not_before=datetime.now(UTC) - timedelta(days=1))
    from asn1crypto import pem

    (tmp_path / "root.pem").write_bytes(pem.armor("CERTIFICATE", pki.root.cert.der))
    (tmp_path / "sub.pem").write_bytes(pem.armor("CERTIFICATE", pki.sub.cert.der))
    (tmp_path / "leaf.pem").write_text(leaf.pem)
    command = [shutil.which("openssl"), "verify"]
    if algorithm == "sm2":
        command += ["-vfyopt", "distid:1234567812345678"]
    if algorithm == "sm2":
        # OpenSSL 3.0 applies -vfyopt distid to the target certificate only (an intermediate link in one run is
        # checked with another ID), so each SM2 link is verified as the target of its own run.
        (tmp_path / "sub.pem").write_bytes(pem.armor("CERTIFICATE", pki.sub.cert.der))
        runs = [
            [*command, "-CAfile", str(tmp_path / "root.pem"), str(tmp_path / "sub.pem")],
            [*command, "-partial_chain", "-CAfile", str(tmp_path / "sub.pem"), str(tmp_path / "leaf.pem")],
        ]
    else:
        runs = [
            [
                *command,
                "-CAfile",
                str(tmp_path / "root.pem"),
                "-untrusted",
                str(tmp_path / "sub.pem"),
                str(tmp_path / "leaf.pem"),
            ]
        ]
    for run in runs:
        result = subprocess.run(run, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip().endswith(": OK")


def test_names_keep_their_order_and_compare_normalised():
    a = build_name([("C", "CN"), ("O", "一网"), ("CN", "Root")])
    b = build_name([("C", "cn"), ("O", "一网"), ("CN", "root ")])
    from yiwang.identity.ca.domain.x509 import name_key, name_text

    assert name_text(a) == "C=CN, O=一网, CN=Root"
    assert name_key(a) == name_key(b)
