"""The federation's XML adapter for legacy SOAP-style uplinks: the batch as typed XML in a SOAP envelope
(``kernel.xmlwire``), in the federation's namespace; refusals are ``federation.malformed_xml``."""

from __future__ import annotations

from typing import Any

from yiwang.kernel import xmlwire

NS = "urn:yiwang:federation:v1"


def to_xml(payload: dict[str, Any]) -> bytes:
    """A batch as a SOAP envelope (UTF-8)."""
    return xmlwire.to_xml(payload, namespace=NS)


def from_xml(data: bytes) -> Any:
    """The JSON value of a SOAP-enveloped batch; ``federation.malformed_xml`` for anything else."""
    return xmlwire.from_xml(data, namespace=NS, code="federation.malformed_xml")
