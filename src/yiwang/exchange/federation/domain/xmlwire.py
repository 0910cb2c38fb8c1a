"""The XML adapter for legacy SOAP-style uplinks (pure Python, standard library).

A batch travels as a SOAP 1.1 envelope whose body holds the batch as typed XML — one element per JSON value::

    <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
      <soap:Body><PushBatch xmlns="urn:yiwang:federation:v1">
        <o><s k="from">…</s><s k="to">…</s><a k="messages"><o><i k="seq">1</i>…</o></a></o>
      </PushBatch></soap:Body></soap:Envelope>

``o`` object (children carry their key in ``k``), ``a`` array, ``s`` string, ``i`` integer, ``d`` decimal
number, ``b`` boolean (``true``/``false``), ``n`` null. The mapping is exact, so the receiver rebuilds the very
JSON the sender signed (the signature headers are those of the JSON inbox). Documents with a DOCTYPE or an
entity declaration are refused before parsing (no external entities, no entity expansion).
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

from yiwang.kernel.errors import InvalidInput

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS = "urn:yiwang:federation:v1"
MAX_DEPTH = 32
_FORBIDDEN = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _malformed(reason: str) -> InvalidInput:
    return InvalidInput(
        "federation.malformed_xml",
        f"XML 报文格式错误：{reason}",
        f"malformed XML batch: {reason}",
        {"field": "body", "reason": reason},
    )


def _value(parent: ET.Element, value: Any, key: str | None = None) -> None:
    if value is None:
        tag, text = "n", None
    elif isinstance(value, bool):
        tag, text = "b", "true" if value else "false"
    elif isinstance(value, int):
        tag, text = "i", str(value)
    elif isinstance(value, float):
        tag, text = "d", repr(value)
    elif isinstance(value, str):
        tag, text = "s", value
    elif isinstance(value, dict):
        tag, text = "o", None
    elif isinstance(value, list):
        tag, text = "a", None
    else:
        raise TypeError(f"not JSON: {type(value).__name__}")
    element = ET.SubElement(parent, f"{{{NS}}}{tag}")
    if key is not None:
        element.set("k", key)
    if text is not None:
        element.text = text
    if isinstance(value, dict):
        for k, v in value.items():
            _value(element, v, str(k))
    elif isinstance(value, list):
        for v in value:
            _value(element, v)


def to_xml(payload: dict[str, Any]) -> bytes:
    """A batch as a SOAP envelope (UTF-8)."""
    envelope = ET.Element(f"{{{SOAP}}}Envelope")
    body = ET.SubElement(envelope, f"{{{SOAP}}}Body")
    push = ET.SubElement(body, f"{{{NS}}}PushBatch")
    _value(push, payload)
    ET.register_namespace("soap", SOAP)
    ET.register_namespace("", NS)
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=True)


def _read(element: ET.Element, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise _malformed("nested too deeply")
    tag = element.tag.removeprefix(f"{{{NS}}}")
    text = element.text or ""
    if tag in ("s", "i", "d", "b", "n") and len(element):
        raise _malformed(f"<{tag}> holds elements")
    if tag == "s":
        return text
    if tag == "i":
        if not re.fullmatch(r"-?[0-9]{1,30}", text.strip()):
            raise _malformed("<i> is not an integer")
        return int(text)
    if tag == "d":
        try:
            return float(text)
        except ValueError:
            raise _malformed("<d> is not a number") from None
    if tag == "b":
        if text not in ("true", "false"):
            raise _malformed("<b> is not true/false")
        return text == "true"
    if tag == "n":
        return None
    if tag == "o":
        out: dict[str, Any] = {}
        for child in element:
            key = child.get("k")
            if key is None or key in out:
                raise _malformed("an object member without a key, or twice")
            out[key] = _read(child, depth + 1)
        return out
    if tag == "a":
        return [_read(child, depth + 1) for child in element]
    raise _malformed(f"unknown element <{tag}>")


def from_xml(data: bytes) -> Any:
    """The JSON value of a SOAP-enveloped batch; ``federation.malformed_xml`` for anything else."""
    if _FORBIDDEN.search(data):
        raise _malformed("DOCTYPE and entity declarations are not accepted")
    try:
        root = ET.fromstring(data)  # noqa: S314 (checked above)
    except ET.ParseError as exc:
        raise _malformed(f"not well-formed ({exc})") from None
    if root.tag != f"{{{SOAP}}}Envelope":
        raise _malformed("not a SOAP envelope")
    body = root.find(f"{{{SOAP}}}Body")
    push = body.find(f"{{{NS}}}PushBatch") if body is not None else None
    if push is None or len(push) != 1:
        raise _malformed("no PushBatch with one value in the SOAP body")
    return _read(push[0], 0)
