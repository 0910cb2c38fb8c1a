"""Validation against the official OCDS 1.1 schemas (``schema/``, see its README) with jsonschema-rs, offline:
the package schema's reference to the release schema is resolved from the local copy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs

HERE = Path(__file__).parent / "schema"
RELEASE = json.loads((HERE / "release-schema.json").read_text(encoding="utf-8"))
PACKAGE = json.loads((HERE / "release-package-schema.json").read_text(encoding="utf-8"))
LOCAL = {RELEASE["id"]: RELEASE, PACKAGE["id"]: PACKAGE}


def _retrieve(uri: str) -> Any:
    if uri in LOCAL:
        return LOCAL[uri]
    raise ValueError(f"no local copy of {uri} (validation runs offline)")


class Validators:
    def __init__(self) -> None:
        self.release = jsonschema_rs.validator_for(RELEASE, retriever=_retrieve, validate_formats=True)
        self.package = jsonschema_rs.validator_for(PACKAGE, retriever=_retrieve, validate_formats=True)

    @staticmethod
    def _errors(validator: Any, value: Any) -> list[str]:
        return [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(value)]

    def release_errors(self, release: Any) -> list[str]:
        return self._errors(self.release, release)

    def package_errors(self, package: Any) -> list[str]:
        return self._errors(self.package, package)
