"""The life of one notice version (pure rules).

::

    draft ──publish──▶ published ──(a correction is published)──▶ corrected
      │  ╲                 │
      │   schedule         └──withdraw──▶ withdrawn
      │     ▼
      │  scheduled ──(clock: publish_at reached)──▶ published
      │     │
      └─────┴──withdraw (cancel before publication)──▶ withdrawn

* A draft or a scheduled notice may still be edited; a published version never is. A change after
  publication is a **correction**: a new version (``notice_version`` + 1) that ``supersedes`` the old one and
  carries ``NOTICE_NATURE`` 2. When it is published the old version becomes ``corrected`` — still readable,
  marked "本公告已被更正" with a link to the new one.
* ``withdrawn`` (终止/撤销) keeps a published notice readable, marked, with the reason.
* ``corrected`` and ``withdrawn`` are final.
"""

from __future__ import annotations

from enum import StrEnum

from yiwang.kernel.errors import Conflict


class Status(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    CORRECTED = "corrected"
    WITHDRAWN = "withdrawn"


STATUS_LABELS_ZH = {
    Status.DRAFT: "草稿",
    Status.SCHEDULED: "定时发布",
    Status.PUBLISHED: "已发布",
    Status.CORRECTED: "已更正",
    Status.WITHDRAWN: "已撤销",
}

# NOTICE_NATURE (data-spec code set 20): 1 正常公告, 2 更正公告
NATURE_NORMAL, NATURE_CORRECTION = "1", "2"
NATURE_LABELS_ZH = {NATURE_NORMAL: "正常公告", NATURE_CORRECTION: "更正公告"}

EDITABLE = frozenset({Status.DRAFT, Status.SCHEDULED})
PUBLIC = frozenset({Status.PUBLISHED, Status.CORRECTED, Status.WITHDRAWN})  # once published, always readable


def _conflict(code: str, zh: str, en: str, status: str) -> Conflict:
    return Conflict(code, zh, en, {"status": status})


def check_editable(status: str) -> None:
    if status not in EDITABLE:
        raise _conflict(
            "notices.not_editable",
            f"公告{STATUS_LABELS_ZH[Status(status)]}，不能修改；已发布的公告只能以更正公告的形式变更",
            "only drafts and scheduled notices can be changed; publish a correction instead",
            status,
        )


def check_publishable(status: str) -> None:
    if status not in EDITABLE:
        raise _conflict(
            "notices.not_publishable",
            f"公告{STATUS_LABELS_ZH[Status(status)]}，不能再次发布",
            "only drafts and scheduled notices can be published",
            status,
        )


def check_correctable(status: str) -> None:
    if status == Status.CORRECTED:
        raise _conflict(
            "notices.already_corrected",
            "本公告已被更正，请更正最新版本",
            "this version was corrected already; correct the newest version",
            status,
        )
    if status != Status.PUBLISHED:
        raise _conflict(
            "notices.not_published",
            f"公告{STATUS_LABELS_ZH[Status(status)]}，只有已发布的公告可以更正",
            "only a published notice can be corrected",
            status,
        )


def check_withdrawable(status: str) -> None:
    if status == Status.WITHDRAWN:
        raise _conflict("notices.already_withdrawn", "公告已撤销", "the notice was withdrawn already", status)
    if status == Status.CORRECTED:
        raise _conflict(
            "notices.already_corrected",
            "本公告已被更正，请对最新版本操作",
            "this version was corrected; act on the newest version",
            status,
        )
