"""Typed XML in a SOAP envelope, for legacy SOAP-style interfaces (pure Python, standard library).

A JSON value travels as a SOAP 1.1 envelope whose body holds it as typed XML — one element per JSON value::

    <soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
      <soap:Body><PushBatch xmlns="urn:yiwang:federation:v1">
        <o><s k="from">…</s><s k="to">…</s><a k="messages"><o><i k="seq">1</i>…</o></a></o>
      </PushBatch></soap:Body></soap:Envelope>

Each interface names its own namespace and the code of its refusal (the federation's peer inbox, the
sub-platforms' push).

``o`` object (children carry their key in ``k``), ``a`` array, ``s`` string, ``i`` integer, ``d`` decimal
number, ``b`` boolean (``true``/``false``), ``n`` null. The mapping is exact, so the receiver rebuilds the very
JSON the sender signed (the signature headers are those of the JSON interface). Documents with a DOCTYPE or an
entity declaration are refused before parsing (no external entities, no entity expansion).
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

from yiwang.kernel.errors import InvalidInput

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
ROOT = "PushBatch"
MAX_DEPTH = 32
_FORBIDDEN = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class _Malformed(Exception):
    pass


def _malformed(reason: str) -> _Malformed:
    return _Malformed(reason)


def _value(parent: ET.Element, value: Any, ns: str, key: str | None = None) -> None:
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
    element = ET.SubElement(parent, f"{{{ns}}}{tag}")
    if key is not None:
        element.set("k", key)
    if text is not None:
        element.text = text
    if isinstance(value, dict):
        for k, v in value.items():
            _value(element, v, ns, str(k))
    elif isinstance(value, list):
        for v in value:
            _value(element, v, ns)


def to_xml(payload: Any, *, namespace: str) -> bytes:
    """A JSON value as a SOAP envelope in ``namespace`` (UTF-8)."""
    envelope = ET.Element(f"{{{SOAP}}}Envelope")
    body = ET.SubElement(envelope, f"{{{SOAP}}}Body")
    push = ET.SubElement(body, f"{{{namespace}}}{ROOT}")
    _value(push, payload, namespace)
    ET.register_namespace("soap", SOAP)
    ET.register_namespace("", namespace)
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=True)


def _read(element: ET.Element, depth: int, ns: str) -> Any:
    if depth > MAX_DEPTH:
        raise _malformed("nested too deeply")
    tag = element.tag.removeprefix(f"{{{ns}}}")
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
            out[key] = _read(child, depth + 1, ns)
        return out
    if tag == "a":
        return [_read(child, depth + 1, ns) for child in element]
    raise _malformed(f"unknown element <{tag}>")


def from_xml(data: bytes, *, namespace: str, code: str) -> Any:
    """The JSON value of a SOAP envelope in ``namespace``; anything else is refused with ``InvalidInput(code)``
    (422, the reason in ``details.reason``)."""
    try:
        return _parse(data, namespace)
    except _Malformed as exc:
        reason = str(exc)
        raise InvalidInput(
            code, f"XML 报文格式错误：{reason}", f"malformed XML: {reason}", {"field": "body", "reason": reason}
        ) from None


def _parse(data: bytes, ns: str) -> Any:
    if _FORBIDDEN.search(data):
        raise _malformed("DOCTYPE and entity declarations are not accepted")
    try:
        root = ET.fromstring(data)  # noqa: S314 (checked above)
    except ET.ParseError as exc:
        raise _malformed(f"not well-formed ({exc})") from None
    if root.tag != f"{{{SOAP}}}Envelope":
        raise _malformed("not a SOAP envelope")
    body = root.find(f"{{{SOAP}}}Body")
    push = body.find(f"{{{ns}}}{ROOT}") if body is not None else None
    if push is None or len(push) != 1:
        raise _malformed(f"no {ROOT} with one value in the SOAP body")
    return _read(push[0], 0, ns)
