"""What goes into the index and what comes out: documents, queries, hits and pages (pure Python).

Every value is checked when it is made, so an adapter never sees a malformed document or query: bad input
raises :class:`~yiwang.kernel.errors.InvalidInput` with a ``search.*`` code.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal

from yiwang.kernel.errors import InvalidInput, YiwangError
from yiwang.kernel.ids import region_level, validate_region_code_format

Sort = Literal["relevance", "newest"]
SORTS: tuple[str, ...] = ("relevance", "newest")

MAX_QUERY_CHARS = 100  # what a person types; longer "queries" are pasted documents or abuse
MAX_PAGE_SIZE = 100
MAX_FILTER_VALUES = 20
MAX_TITLE_CHARS = 500
MAX_BODY_CHARS = 200_000  # longer bodies are indexed (and highlighted) up to this many characters
MAX_URL_CHARS = 500
MAX_EXTRA_KEYS = 20

_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}", re.ASCII)
_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.\-]{0,31}", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_URL = re.compile(r"(/(?!/)|https?://)[^\s\x00-\x1f\x7f\"'<>\\]*", re.ASCII)


def _bad(code: str, zh: str, en: str, **details: Any) -> InvalidInput:
    return InvalidInput(code, zh, en, details)


def check_kind(value: str) -> str:
    if not isinstance(value, str) or not _KIND.fullmatch(value):
        raise _bad(
            "search.bad_kind",
            f"文档类型“{value}”须为小写字母开头的 1–32 位字母、数字或下划线",
            f"kind {value!r} must be 1-32 lower-case letters, digits or underscores",
            value=str(value),
        )
    return value


def check_code(value: str, what: str) -> str:
    """Category and stage codes: 1–32 ASCII letters, digits, ``_ . -`` (empty means none)."""
    if value == "":
        return value
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise _bad(
            f"search.bad_{what}",
            f"{ {'category': '类别', 'stage': '阶段'}[what] }代码“{value}”须为 1–32 位字母、数字或 _ . -",
            f"{what} code {value!r} must be 1-32 ASCII letters, digits or _ . -",
            value=str(value),
        )
    return value


def check_region(value: str) -> str:
    if value == "":
        return value
    try:
        return validate_region_code_format(value)
    except YiwangError as exc:
        raise _bad("search.bad_region", exc.message_zh, exc.message_en, value=str(value), cause=exc.code) from None


def region_range(code: str) -> tuple[str, str]:
    """The codes a region filter covers, as an inclusive range: 310000 → 310000..319999 (all of Shanghai),
    310100 → 310100..310199, 310112 → itself (see :func:`yiwang.kernel.ids.region_covers`)."""
    keep = {"province": 2, "prefecture": 4, "county": 6}[region_level(code)]
    return code[:keep].ljust(6, "0"), code[:keep].ljust(6, "9")


def tiebreak_of(kind: str, key: str) -> int:
    """A stable signed 64-bit number that orders documents published at the same instant, identically on
    every engine (an auto-increment id would depend on the order documents were fed in)."""
    digest = hashlib.sha256(f"{kind}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass(frozen=True, kw_only=True)
class SearchDocument:
    """One searchable thing (a notice, a project, an entity …), identified by ``(kind, key)``.

    ``title`` and ``body`` are plain text as people read it (highlights are cut from it); ``url`` is where the
    hit links to (a site path ``/…`` or an ``http(s)://`` address). ``public`` documents are shown to everyone;
    others only to privileged callers (``SearchQuery.include_private``). ``amount_fen`` is an integer 分.
    ``extra`` holds small display facets (JSON scalars) returned with each hit.
    """

    kind: str
    key: str
    title: str
    published_at: datetime
    body: str = ""
    url: str = ""
    public: bool = True
    category: str = ""
    region: str = ""
    stage: str = ""
    amount_fen: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_kind(self.kind)
        if not isinstance(self.key, str) or not 1 <= len(self.key) <= 128 or _CONTROL.search(self.key):
            raise _bad(
                "search.bad_key",
                "文档键须为 1–128 个字符且不含控制字符",
                "a document key is 1-128 characters without control characters",
                value=str(self.key)[:140],
            )
        if not isinstance(self.title, str) or not self.title.strip():
            raise _bad("search.bad_title", "标题不能为空", "the title must not be empty", key=self.key)
        if not isinstance(self.body, str):
            raise _bad("search.bad_body", "正文须为文本", "the body must be text", key=self.key)
        object.__setattr__(self, "title", self.title[:MAX_TITLE_CHARS])
        object.__setattr__(self, "body", self.body[:MAX_BODY_CHARS])
        if not isinstance(self.published_at, datetime) or self.published_at.utcoffset() is None:
            raise _bad(
                "search.bad_published_at",
                "发布时间须为带时区的时间",
                "published_at must be an aware datetime",
                key=self.key,
            )
        if self.url and (len(self.url) > MAX_URL_CHARS or not _URL.fullmatch(self.url)):
            raise _bad(
                "search.bad_url",
                "链接须为站内路径（/ 开头）或 http(s) 地址",
                "url must be a site path starting with / or an http(s) address",
                value=self.url[:100],
            )
        check_code(self.category, "category")
        check_code(self.stage, "stage")
        object.__setattr__(self, "region", check_region(self.region))
        amount = self.amount_fen
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int) or amount < 0):
            raise _bad(
                "search.bad_amount",
                "金额须为非负整数（分）",
                "amount_fen must be a non-negative integer of fen",
                key=self.key,
            )
        extra = dict(self.extra)
        if len(extra) > MAX_EXTRA_KEYS or not all(
            isinstance(k, str) and (v is None or isinstance(v, str | int | float | bool)) for k, v in extra.items()
        ):
            raise _bad(
                "search.bad_extra",
                f"附加字段最多 {MAX_EXTRA_KEYS} 项，值须为文本、数字或布尔值",
                f"extra holds at most {MAX_EXTRA_KEYS} keys with scalar JSON values",
                key=self.key,
            )
        object.__setattr__(self, "extra", MappingProxyType(extra))

    @property
    def tiebreak(self) -> int:
        return tiebreak_of(self.kind, self.key)


def _values(values: Any, check: Any, name: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = (values,)
    out = tuple(dict.fromkeys(v for v in values if v != ""))
    if len(out) > MAX_FILTER_VALUES:
        raise _bad(
            "search.too_many_values",
            f"每个筛选条件最多 {MAX_FILTER_VALUES} 个取值",
            f"at most {MAX_FILTER_VALUES} values per filter",
            field=name,
        )
    for value in out:
        check(value)
    return out


@dataclass(frozen=True, kw_only=True)
class SearchQuery:
    """What to look for. ``text`` empty means browse (filters only). Date bounds: ``published_from``
    inclusive, ``published_to`` exclusive. Amount bounds inclusive, in 分. ``region`` is a prefix: 310000 covers
    every 31xxxx. Privileged callers set ``include_private``; ``private_regions`` then limits the private
    documents they see to those regions (``None``: all)."""

    text: str = ""
    kinds: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    region: str = ""
    stages: tuple[str, ...] = ()
    published_from: datetime | None = None
    published_to: datetime | None = None
    min_amount_fen: int | None = None
    max_amount_fen: int | None = None
    sort: Sort = "relevance"
    page: int = 1
    size: int = 20
    include_private: bool = False
    private_regions: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        text = " ".join((self.text or "").split())
        if len(text) > MAX_QUERY_CHARS:
            raise _bad(
                "search.query_too_long",
                f"搜索词最长 {MAX_QUERY_CHARS} 个字符",
                f"the query is longer than {MAX_QUERY_CHARS} characters",
                length=len(text),
                max=MAX_QUERY_CHARS,
            )
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "kinds", _values(self.kinds, check_kind, "kind"))
        object.__setattr__(
            self, "categories", _values(self.categories, lambda v: check_code(v, "category"), "category")
        )
        object.__setattr__(self, "stages", _values(self.stages, lambda v: check_code(v, "stage"), "stage"))
        object.__setattr__(self, "region", check_region(self.region or ""))
        if self.private_regions is not None:
            object.__setattr__(self, "private_regions", tuple(check_region(r) for r in self.private_regions if r))
        if self.sort not in SORTS:
            raise _bad(
                "search.bad_sort",
                "排序方式须为 relevance（相关度）或 newest（最新）",
                "sort must be 'relevance' or 'newest'",
                value=str(self.sort),
            )
        for name in ("page", "size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise _bad(f"search.bad_{name}", f"{name} 须为整数", f"{name} must be an integer")
        if self.page < 1:
            raise _bad("search.bad_page", "页码从 1 开始", "pages start at 1", value=self.page)
        if not 1 <= self.size <= MAX_PAGE_SIZE:
            raise _bad(
                "search.bad_size",
                f"每页条数须在 1–{MAX_PAGE_SIZE} 之间",
                f"size must be between 1 and {MAX_PAGE_SIZE}",
                value=self.size,
            )
        for name in ("published_from", "published_to"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, datetime) or value.utcoffset() is None):
                raise _bad("search.bad_date", "日期须带时区", "dates must be aware datetimes", field=name)
        if self.published_from and self.published_to and self.published_from >= self.published_to:
            raise _bad(
                "search.bad_range",
                "起始日期不能晚于截止日期",
                "the start date is after the end date",
                field="date",
            )
        for name in ("min_amount_fen", "max_amount_fen"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise _bad(
                    "search.bad_amount",
                    "金额须为非负整数（分）",
                    "amounts are non-negative integers of fen",
                    field=name,
                )
        if (
            self.min_amount_fen is not None
            and self.max_amount_fen is not None
            and self.min_amount_fen > self.max_amount_fen
        ):
            raise _bad(
                "search.bad_range",
                "最低金额不能高于最高金额",
                "the minimum amount is above the maximum",
                field="amount",
            )

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def is_browse(self) -> bool:
        return not self.text


@dataclass(frozen=True)
class SearchHit:
    kind: str
    key: str
    title: str  # the original title, plain text
    title_html: str  # escaped title with <mark> around matched words
    snippet_html: str  # escaped passage of the body (≤ ~120 characters) centred on the first match
    url: str
    public: bool
    category: str
    region: str
    stage: str
    published_at: datetime
    amount_fen: int | None
    extra: Mapping[str, Any]
    score: float | None  # the engine's relevance score (None when sorted by date); not comparable across engines
    tier: int  # how many query words the title matches (the first relevance key, the same on every engine)


@dataclass(frozen=True)
class FacetCount:
    value: str
    count: int


@dataclass(frozen=True)
class SearchPage:
    total: int  # exact when ``total_exact``; else an estimate (``total_estimated``) or a lower bound (the cap)
    total_exact: bool
    hits: tuple[SearchHit, ...]
    page: int
    size: int
    sort: str
    max_page: int  # the deepest page this query can be paged to (ranking and counting are bounded)
    terms: tuple[str, ...]  # the normalised words that were looked for (and highlighted)
    facets: Mapping[str, tuple[FacetCount, ...]] | None  # category / region / stage counts, when cheap
    took_ms: float
    total_estimated: bool = False  # ``total`` is an estimate from the index's statistics (far above the cap)

    @property
    def total_display(self) -> str:
        if self.total_exact:
            return str(self.total)
        return estimated_display(self.total) if self.total_estimated else f"{self.total}+"

    @property
    def has_next(self) -> bool:
        return self.page < self.max_page


def estimated_display(value: int) -> str:
    """How an estimated total reads: 约 51 万, 约 1.2 万, 约 3200."""
    if value >= 100_000:
        return f"约 {value / 10_000:.0f} 万"
    if value >= 10_000:
        return f"约 {value / 10_000:.1f}".rstrip("0").rstrip(".") + " 万"
    return f"约 {value}"
