"""Content sniffing, extension checks, file-name cleaning and the download header (pure rules)."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.kernel.errors import InvalidInput
from yiwang.platform.storage.domain import sniff as s
from yiwang.platform.storage.domain.filenames import (
    MAX_FILENAME_BYTES,
    ascii_fallback,
    content_disposition,
    sanitize_filename,
)
from yiwang.platform.storage.domain.owners import Owner

from .conftest import docx_bytes, jpeg_bytes, ofd_bytes, pdf_bytes, png_bytes, xlsx_bytes, zip_bytes

MAGIC = s.SEALED_ENVELOPE_MAGIC  # the crypto kernel's envelope header


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (pdf_bytes(), s.PDF),
        (b"\r\n" * 10 + pdf_bytes(), s.PDF),  # a few stray bytes before the header
        (png_bytes(), s.PNG),
        (jpeg_bytes(), s.JPEG),
        (ofd_bytes(), s.OFD),
        (docx_bytes(), s.DOCX),
        (xlsx_bytes(), s.XLSX),
        (zip_bytes({"招标文件/说明.txt": "你好".encode()}), s.ZIP),
        (zip_bytes({}), s.ZIP),
        (b"PK\x03\x04 broken archive without a directory", s.OCTET_STREAM),
        ("招标公告：本项目采用公开招标方式。\n".encode(), s.TEXT),
        ("招标公告：本项目采用公开招标方式。\n".encode("gb18030"), s.TEXT),
        (b"\xef\xbb\xbfUTF-8 with a BOM\r\n", s.TEXT),
        (b"plain,csv,line\n1,2,3\n", s.TEXT),
        (MAGIC + os.urandom(200), s.SEALED_ENVELOPE),
        (b"\x00\x01\x02binary", s.OCTET_STREAM),
        (b"MZ\x90\x00\x03\x00\x00\x00", s.OCTET_STREAM),  # a Windows executable is nothing we accept
        (b"", s.OCTET_STREAM),
    ],
)
def test_sniffing_table(content, expected):
    assert s.sniff_bytes(content, sealed_magic=MAGIC) == expected


def test_the_sealed_envelope_is_recognised_by_its_magic():
    assert MAGIC == b"\x89YWE\r\n\x1a\n"
    assert s.sniff_bytes(MAGIC + b"\x00" * 10) == s.SEALED_ENVELOPE
    assert s.sniff_bytes(b"OTHER!!!" + b"\x00" * 10, sealed_magic=b"OTHER!!!") == s.SEALED_ENVELOPE
    assert s.sniff_bytes(MAGIC[:-1]) == s.OCTET_STREAM


def test_text_cut_mid_character_at_the_sniff_window_is_still_text():
    text = ("中" * (s.HEAD_SIZE // 3 + 10)).encode()  # the 8 KiB window ends inside a 3-byte character
    assert s.sniff_bytes(text) == s.TEXT


def test_sniffing_restores_the_position():
    f = io.BytesIO(pdf_bytes())
    f.seek(5)
    assert s.sniff(f) == s.PDF
    assert f.tell() == 5


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=4096))
def test_random_bytes_never_crash_the_sniffer(data):
    assert s.sniff_bytes(data, sealed_magic=MAGIC) in s.KNOWN_TYPES


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048), st.sampled_from([b"PK\x03\x04", b"PK\x05\x06", b"%PDF-", b"\x89PNG\r\n\x1a\n"]))
def test_random_bytes_behind_a_magic_number_never_crash_the_sniffer(data, magic):
    assert s.sniff_bytes(magic + data) in s.KNOWN_TYPES


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=512))
def test_a_damaged_zip_directory_never_crashes_the_sniffer(garbage):
    archive = bytearray(docx_bytes())
    cut = len(archive) // 2
    archive[cut : cut + len(garbage)] = garbage
    assert s.sniff_bytes(bytes(archive)) in s.KNOWN_TYPES


@pytest.mark.parametrize(
    ("filename", "mime", "contradicts"),
    [
        ("合同.pdf", s.PDF, False),
        ("合同.PDF", s.PDF, False),
        ("合同.pdf", s.PNG, True),
        ("scan.jpg", s.JPEG, False),
        ("scan.jpeg", s.PNG, True),
        ("标书.docx", s.ZIP, True),
        ("标书.zip", s.DOCX, False),  # a ZIP may hold any ZIP-based format
        ("report.txt", s.PDF, True),
        ("envelope.ywenv", s.SEALED_ENVELOPE, False),
        ("envelope.ywenv", s.OCTET_STREAM, True),
        ("data.bin", s.OCTET_STREAM, False),  # unknown extension: no claim, nothing to contradict
        ("README", s.TEXT, False),
        (".pdf", s.PNG, False),  # a dot-file has no extension
    ],
)
def test_extension_contradictions(filename, mime, contradicts):
    assert s.extension_contradicts(filename, mime) is contradicts


@pytest.mark.parametrize(
    ("declared", "clean"),
    [
        ("招标文件.pdf", "招标文件.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\张三\\投标文件.pdf", "投标文件.pdf"),
        ("..", ""),
        ("/", ""),
        ("  报价\t单\n.xlsx  ", "报价 单 .xlsx"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # right-to-left override removed
        ("a\x00b\x07c.txt", "abc.txt"),
        ('what?<is>:"this"|*.pdf', "what__is___this___.pdf"),
        (".hidden.pdf", "hidden.pdf"),
        ("trailing dots...", "trailing dots"),
        ("CON.txt", "_CON.txt"),
        ("nul", "_nul"),
        ("ｆｕｌｌ.pdf", "ｆｕｌｌ.pdf"),
        ("e\u0301.pdf", "é.pdf"),  # NFC
    ],
)
def test_sanitize_filename(declared, clean):
    assert sanitize_filename(declared) == clean


def test_long_names_are_clipped_keeping_the_extension():
    name = "很长的文件名" * 40 + ".pdf"
    clean = sanitize_filename(name)
    assert len(clean.encode()) <= MAX_FILENAME_BYTES
    assert clean.endswith(".pdf")
    assert clean.startswith("很长的文件名")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_declared_name_cleans_to_a_safe_name(name):
    clean = sanitize_filename(name)
    assert "/" not in clean
    assert "\\" not in clean
    assert "\x00" not in clean
    assert not clean.startswith(".")
    assert len(clean.encode()) <= MAX_FILENAME_BYTES
    assert clean == sanitize_filename(clean)  # idempotent


def test_content_disposition_for_a_chinese_name():
    header = content_disposition("招标文件（第2版）.pdf")
    assert header == (
        "attachment; filename=\"______2__.pdf\"; filename*=UTF-8''"
        "%E6%8B%9B%E6%A0%87%E6%96%87%E4%BB%B6%EF%BC%88%E7%AC%AC2%E7%89%88%EF%BC%89.pdf"
    )
    assert content_disposition("report.pdf", attachment=False) == 'inline; filename="report.pdf"'
    assert ascii_fallback('a"b\\c.pdf') == "a_b_c.pdf"


def test_owner_references_are_checked():
    assert str(Owner("trading.tender", "bid:42")) == "trading.tender/bid:42"
    for context, ref in [("Trading", "x"), ("trading.", "x"), ("trading", ""), ("trading", "有中文"), ("a", "x" * 121)]:
        with pytest.raises(InvalidInput) as caught:
            Owner(context, ref)
        assert caught.value.code == "storage.owner_invalid"
