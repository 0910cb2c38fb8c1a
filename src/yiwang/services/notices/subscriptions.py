"""Matching a newly published notice against saved searches (订阅), and the messages that follow.

A subscription is a search query plus filters. When a notice is published, the clock job
``notices.match_subscriptions`` (after commit) asks, for each active subscription whose cheap filters
(category, notice type, stage, region) admit the notice, whether the *search port* finds this notice for the
subscription's query **restricted to the notice's own publication instant** — the same words, segmentation
and filters as the public search page, evaluated against just the new document (a date window one
microsecond wide), not the whole index. So a subscription matches exactly what its owner would find on
``/search/`` with that query.

Each match writes a :class:`~yiwang.services.notices.models.SubscriptionMatch` (unique per subscription and
notice) and one in-site message through platform.notify (keyed ``subscription:<id>:notice:<id>``; e-mailed
when the subscription has an address) in one action, which also clears the notice's ``match_pending`` flag
under its row lock: running the job twice, or in two clocks, sends each message once.

If a correction replaced the chain's search document before the job ran, the corrected version is not
found at its own instant and is skipped; the correction itself is matched (and announced) in its turn.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from yiwang.kernel.actors import Actor
from yiwang.kernel.ids import region_covers
from yiwang.platform.actions import ActionRecorder
from yiwang.platform.notify import actions as notify
from yiwang.platform.search.params import build_query
from yiwang.platform.search.queries import search_for
from yiwang.services.notices.models import Notice, Subscription, SubscriptionMatch
from yiwang.services.notices.rendering import notice_path

SHANGHAI = ZoneInfo("Asia/Shanghai")
MESSAGE_CATEGORY = "notices.subscription"
_INSTANT = timedelta(microseconds=1)


def admits(subscription: Subscription, notice: Notice) -> bool:
    """The filters checked before the search port is asked (cheap, and the same as the port's)."""
    if subscription.categories and notice.category not in subscription.categories:
        return False
    if subscription.notice_types and notice.notice_type not in subscription.notice_types:
        return False
    if subscription.stages and notice.stage not in subscription.stages:
        return False
    return not (subscription.region and not region_covers(subscription.region, notice.region_code))


def finds(subscription: Subscription, notice: Notice) -> bool:
    """Does the search port find ``notice`` for this subscription's query (at the notice's instant)?"""
    query = build_query(
        q=subscription.query_text,
        kinds=["notice"],
        categories=subscription.categories,
        region=subscription.region,
        stages=subscription.stages,
        min_amount_fen=subscription.min_amount_fen,
        max_amount_fen=subscription.max_amount_fen,
        sort="newest",
        size=100,
    )
    query = replace(query, published_from=notice.published_at, published_to=notice.published_at + _INSTANT)
    key = str(notice.root_id_or_self)
    reader = Actor.system("notices")
    page_number = 1
    while True:
        page = search_for(reader, replace(query, page=page_number))
        if any(hit.key == key for hit in page.hits):
            return True
        if not page.has_next:
            return False
        page_number += 1


def _query_key(s: Subscription) -> tuple:
    return (s.query_text, tuple(s.categories), s.region, tuple(s.stages), s.min_amount_fen, s.max_amount_fen)


def matching_subscriptions(notice: Notice) -> list[Subscription]:
    """The active subscriptions that match ``notice``. Subscriptions with the same query and filters share
    one question to the search port (popular words are asked once per notice, not once per subscriber)."""
    answers: dict[tuple, bool] = {}
    matched = []
    for s in Subscription.objects.filter(active=True).order_by("pk").iterator():
        if not admits(s, notice):
            continue
        key = _query_key(s)
        if key not in answers:
            answers[key] = finds(s, notice)
        if answers[key]:
            matched.append(s)
    return matched


def _message(subscription: Subscription, notice: Notice, type_label: str) -> notify.NewMessage:
    published = notice.published_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    correction = "（更正公告）" if notice.notice_version > 1 else ""
    return notify.NewMessage(
        recipient=subscription.subscriber,
        title=f"订阅“{subscription.name}”有新公告：{notice.title}"[:200],
        body=(
            f"{notice.title}{correction}\n{type_label} · 公告编号 {notice.number} · 发布时间 {published}\n"
            f"您订阅的“{subscription.name}”匹配到这份新公告。"
        ),
        link=notice_path(notice.pk),
        category=MESSAGE_CATEGORY,
        key=f"subscription:{subscription.pk}:notice:{notice.pk}",
        email=subscription.email,
    )


def record_matches(act: ActionRecorder, actor: Actor, notice: Notice, matched: list[Subscription]) -> int:
    """Inside the matching action: a match row and a message for each subscription not told yet."""
    from yiwang.services.notices.actions import type_label

    done = set(
        SubscriptionMatch.objects.filter(notice=notice, subscription__in=matched).values_list(
            "subscription_id", flat=True
        )
    )
    todo = [s for s in matched if s.pk not in done and Subscription.objects.filter(pk=s.pk, active=True).exists()]
    if not todo:
        return 0
    label = type_label(notice.notice_type)
    sent = notify.do_send_messages(actor=actor, messages=[_message(s, notice, label) for s in todo])
    by_key = {m.key: m.pk for m in sent}
    SubscriptionMatch.objects.bulk_create(
        SubscriptionMatch(
            subscription=s,
            notice=notice,
            message_id=by_key.get(f"subscription:{s.pk}:notice:{notice.pk}"),
            created_at=act.now,
        )
        for s in todo
    )
    return len(sent)
