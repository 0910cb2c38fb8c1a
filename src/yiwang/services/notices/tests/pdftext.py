"""A small text extractor for the PDFs WeasyPrint writes (no PDF library is installed, none is added).

It reads every object, inflates Flate streams, builds each font's ToUnicode map (``bfchar``/``bfrange``),
follows ``/Name size Tf`` in the content streams and decodes the hex strings of ``Tj``/``TJ`` through the
current font's map: the text a reader would copy out of the PDF. Enough for WeasyPrint's output (Identity-H
two-byte codes, compressed streams); not a general PDF parser.
"""

from __future__ import annotations

import re
import zlib

_OBJ = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*)\r?\nendstream", re.S)
_FONT_REF = re.compile(rb"/([A-Za-z0-9_+-]+) (\d+) 0 R")
_TO_UNICODE = re.compile(rb"/ToUnicode (\d+) 0 R")
_OPS = re.compile(rb"/([A-Za-z0-9_+-]+) [\d.]+ Tf|\[((?:[^\]\\]|\\.)*)\] ?TJ|<([0-9a-fA-F]*)> ?Tj|(ET)")
_HEX = re.compile(rb"<([0-9a-fA-F]*)>")


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    out = {}
    for m in _OBJ.finditer(pdf):
        body = m.group(2)
        stream = None
        s = _STREAM.search(body)
        if s:
            raw = s.group(1)
            try:
                stream = zlib.decompress(raw) if b"/FlateDecode" in body[: s.start()] else raw
            except zlib.error:
                stream = None
            body = body[: s.start()]
        out[int(m.group(1))] = (body, stream)
    # PDF 1.5+ object streams: dictionaries packed into one compressed stream
    for body, stream in list(out.values()):
        if b"/Type /ObjStm" in body and stream:
            count = int(re.search(rb"/N (\d+)", body).group(1))
            first = int(re.search(rb"/First (\d+)", body).group(1))
            header = stream[:first].split()
            pairs = [(int(header[2 * i]), int(header[2 * i + 1])) for i in range(count)]
            for i, (number, offset) in enumerate(pairs):
                end = pairs[i + 1][1] if i + 1 < count else len(stream) - first
                out.setdefault(number, (stream[first + offset : first + end], None))
    return out


def _cmap(stream: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
        for src, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", stream, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            start = int(dst, 16)
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(start + i)
    return mapping


def extract_text(pdf: bytes) -> str:
    objects = _objects(pdf)
    maps: dict[int, dict[int, str]] = {}
    for number, (body, _) in objects.items():
        ref = _TO_UNICODE.search(body)
        if b"/Font" in body and ref and objects.get(int(ref.group(1)), (b"", None))[1] is not None:
            maps[number] = _cmap(objects[int(ref.group(1))][1] or b"")
    names: dict[bytes, dict[int, str]] = {}
    for body, _ in objects.values():  # font resource dictionaries: /Name n 0 R, n a font with a ToUnicode map
        for name, number in _FONT_REF.findall(body):
            if int(number) in maps:
                names[name] = maps[int(number)]
    lines: list[str] = []
    for _, stream in objects.values():
        if not stream or b"Tf" not in stream:
            continue
        current: dict[int, str] = {}
        line: list[str] = []
        for m in _OPS.finditer(stream):
            if m.group(1):
                current = names.get(m.group(1), {})
                continue
            if m.group(4):
                if line:
                    lines.append("".join(line))
                    line = []
                continue
            hexes = _HEX.findall(m.group(2)) if m.group(2) is not None else [m.group(3)]
            for h in hexes:
                codes = bytes.fromhex(h.decode())
                line.extend(
                    current.get(int.from_bytes(codes[i : i + 2], "big"), "") for i in range(0, len(codes) - 1, 2)
                )
        if line:
            lines.append("".join(line))
    return "\n".join(lines)


def embedded_fonts(pdf: bytes) -> list[str]:
    """The /BaseFont names of the fonts the PDF embeds (``ABCDEF+NotoSansCJKsc-Regular``)."""
    bodies = b"".join(body for body, _ in _objects(pdf).values())
    return sorted({m.decode() for m in re.findall(rb"/BaseFont\s*/([^\s/>]+)", bodies)})
