"""Subject mapping: where a CA puts the 统一社会信用代码 (organisations) or the 身份证 number (persons).

CAs differ: one writes the USCC into the subject ``serialNumber``, another into ``OU`` or into the ``CN`` after
the company name, others into the GM/T 0015 extensions (1.2.156.10260.4.1.3 / .4.1.4, personal id .4.1.1). Each CA
on the trust list therefore carries a mapping — an ordered list of rules; the first rule that yields a valid
identifier decides::

    {"rules": [
        {"kind": "entity", "source": "subject.serialNumber"},
        {"kind": "person", "source": "ext.1.2.156.10260.4.1.1"},
        {"kind": "entity", "source": "subject.CN", "pattern": "\\(([0-9A-Z]{18})\\)"}
    ]}

``source`` is ``subject.<attribute>`` (short names CN, O, OU, serialNumber, … or a dotted OID) or
``ext.<OID>`` (every character string inside the extension value). ``pattern`` (optional) is a regular
expression whose first group (or whole match) is the identifier; without it every 18-character token of the
value is tried. ``prefix`` (optional) is stripped first (some CAs write ``USCC:`` or ``ID:`` in front).
Candidates are validated with the kernel (USCC check character; resident ID check digit and birth date).

Presets (:data:`PRESETS`) cover the demo CA and common layouts. Pure Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from yiwang.identity.ca.domain.errors import CaRefused
from yiwang.identity.ca.domain.x509 import ATTRIBUTE_OIDS, Certificate, extension_strings
from yiwang.kernel.errors import InvalidInput
from yiwang.kernel.ids import validate_resident_id, validate_uscc

KINDS = ("entity", "person")
MAX_RULES = 10
_OID = re.compile(r"^[0-2](\.[0-9]+){1,30}$")
_TOKEN = re.compile(r"(?<![0-9A-Z])[0-9A-Z]{18}(?![0-9A-Z])")

PRESETS: dict[str, dict[str, Any]] = {
    # The demo CA (yiwang ca): USCC in subject serialNumber, 身份证 in the GM/T 0015 personal-id extension.
    "demo": {
        "rules": [
            {"kind": "entity", "source": "subject.serialNumber"},
            {"kind": "person", "source": "ext.1.2.156.10260.4.1.1"},
        ]
    },
    # GM/T 0015 extensions: USCC in .4.1.3 (工商注册号, where CAs now write the USCC), personal id in .4.1.1.
    "gmt0015": {
        "rules": [
            {"kind": "entity", "source": "ext.1.2.156.10260.4.1.3"},
            {"kind": "entity", "source": "ext.1.2.156.10260.4.1.4"},
            {"kind": "person", "source": "ext.1.2.156.10260.4.1.1"},
        ]
    },
    # USCC in an OU attribute; persons by serialNumber.
    "ou": {
        "rules": [
            {"kind": "entity", "source": "subject.OU"},
            {"kind": "person", "source": "subject.serialNumber"},
        ]
    },
    # USCC somewhere in the CN (e.g. "上海某某有限公司(91310115MA1FL2X37F)"); persons by serialNumber.
    "cn": {
        "rules": [
            {"kind": "entity", "source": "subject.CN"},
            {"kind": "person", "source": "subject.serialNumber"},
        ]
    },
}


@dataclass(frozen=True)
class Rule:
    kind: str
    source: str
    pattern: re.Pattern[str] | None = None
    prefix: str = ""


@dataclass(frozen=True)
class SubjectMapping:
    rules: tuple[Rule, ...]

    def as_config(self) -> dict[str, Any]:
        out = []
        for rule in self.rules:
            item: dict[str, Any] = {"kind": rule.kind, "source": rule.source}
            if rule.pattern is not None:
                item["pattern"] = rule.pattern.pattern
            if rule.prefix:
                item["prefix"] = rule.prefix
            out.append(item)
        return {"rules": out}

    @property
    def is_empty(self) -> bool:
        return not self.rules


EMPTY = SubjectMapping(())


@dataclass(frozen=True)
class MappedSubject:
    """Who a certificate names: an organisation by USCC or a person by resident ID."""

    kind: str  # entity | person
    identifier: str  # the USCC or the 18-character resident ID
    name: str  # O or CN, for display
    source: str  # the rule's source that matched

    @property
    def masked(self) -> str:
        """The identifier as shown to people who may not see a person's full number."""
        if self.kind == "person":
            return self.identifier[:4] + "*" * 10 + self.identifier[-4:]
        return self.identifier


def _invalid(reason: str, **details: Any) -> CaRefused:
    return CaRefused("ca.mapping_invalid", reason=reason, **details)


def parse_mapping(config: Any) -> SubjectMapping:
    """Check a mapping configuration (a dict with ``rules``, or a preset name); ``ca.mapping_invalid`` if bad."""
    if config is None or config == {}:
        return EMPTY
    if isinstance(config, str):
        if config not in PRESETS:
            raise _invalid("unknown preset", preset=config, presets=sorted(PRESETS))
        config = PRESETS[config]
    if not isinstance(config, dict) or not isinstance(config.get("rules"), list):
        raise _invalid("expected an object with a list 'rules'")
    if set(config) - {"rules"}:
        raise _invalid("unknown keys", keys=sorted(set(config) - {"rules"}))
    rules = []
    if len(config["rules"]) > MAX_RULES:
        raise _invalid(f"at most {MAX_RULES} rules")
    for index, item in enumerate(config["rules"]):
        if not isinstance(item, dict) or set(item) - {"kind", "source", "pattern", "prefix"}:
            raise _invalid("a rule has kind, source and optionally pattern and prefix", rule=index)
        kind, source = item.get("kind"), item.get("source")
        if kind not in KINDS:
            raise _invalid("kind must be entity or person", rule=index)
        if not isinstance(source, str):
            raise _invalid("source must be text", rule=index)
        where, _, what = source.partition(".")
        if where == "subject":
            if what not in ATTRIBUTE_OIDS and not _OID.match(what):
                raise _invalid("unknown subject attribute", rule=index, attribute=what)
        elif where == "ext":
            if not _OID.match(what):
                raise _invalid("ext.<OID> needs a dotted OID", rule=index)
        else:
            raise _invalid("source must start with subject. or ext.", rule=index)
        pattern = item.get("pattern")
        compiled = None
        if pattern is not None:
            if not isinstance(pattern, str) or len(pattern) > 200:
                raise _invalid("pattern must be text of at most 200 characters", rule=index)
            try:
                compiled = re.compile(pattern)
            except re.error:
                raise _invalid("pattern is not a regular expression", rule=index) from None
        prefix = item.get("prefix", "")
        if not isinstance(prefix, str) or len(prefix) > 40:
            raise _invalid("prefix must be text of at most 40 characters", rule=index)
        rules.append(Rule(kind=kind, source=source, pattern=compiled, prefix=prefix))
    return SubjectMapping(tuple(rules))


def _values(certificate: Certificate, source: str) -> list[str]:
    where, _, what = source.partition(".")
    if where == "subject":
        return certificate.subject_value(what)
    raw = certificate.extensions.get(what)
    return extension_strings(raw) if raw is not None else []


def _candidates(rule: Rule, value: str) -> list[str]:
    text = value.strip()
    if rule.prefix and text.upper().startswith(rule.prefix.upper()):
        text = text[len(rule.prefix) :].strip()
    if rule.pattern is not None:
        out = []
        for match in rule.pattern.finditer(text):
            out.append(match.group(1) if match.groups() else match.group(0))
        return out
    upper = text.upper()
    return [upper, *_TOKEN.findall(upper)] if len(upper) == 18 else _TOKEN.findall(upper)


def _valid(kind: str, candidate: str, today: date | None) -> str | None:
    try:
        if kind == "entity":
            return validate_uscc(candidate)
        return validate_resident_id(candidate, today=today).number
    except InvalidInput:
        return None


def map_subject(certificate: Certificate, mapping: SubjectMapping, *, today: date | None = None) -> MappedSubject:
    """The entity or person the certificate names, per ``mapping``; ``ca.subject_unmapped`` if none."""
    for rule in mapping.rules:
        for value in _values(certificate, rule.source):
            for candidate in _candidates(rule, value):
                found = _valid(rule.kind, candidate, today)
                if found is not None:
                    return MappedSubject(rule.kind, found, certificate.display_name, rule.source)
    raise CaRefused(
        "ca.subject_unmapped",
        subject=certificate.subject_text,
        sources=[rule.source for rule in mapping.rules],
    )
