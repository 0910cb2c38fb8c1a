"""The workbench: one page per person, with a panel for every role they hold.

Each panel is built from the queries of the context that owns the data; the portal only composes them. The
to-do items (待办) of tendering, evaluation, finance, complaints and red flags come from :mod:`yiwang.portal.todos`.
Titles, intros, links and the portal's own to-do labels are Chinese message ids translated at request time
(``gettext``) under the English switch; data (entity names, project titles) stays as entered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.catalog import queries as catalog
from yiwang.kernel.actors import ROLE_LABELS_ZH, Actor, Role
from yiwang.platform.audit import queries as witness
from yiwang.platform.notify import queries as inbox
from yiwang.portal import todos
from yiwang.portal.todos import Todo
from yiwang.registry import queries as registry
from yiwang.services.experts import queries as experts


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass
class Panel:
    role: Role
    title: str
    intro: str
    todos: list[Todo] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (label, detail, url)
    empty_note: str = ""


def _market_entity_panel(actor: Actor, role: Role) -> Panel:
    panel = Panel(
        role,
        _(ROLE_LABELS_ZH[role]),
        _("您代表以下市场主体参与交易。一次注册，全网通用。"),
        links=[
            Link(_("登记新的市场主体"), "/registry/register/"),
            Link(_("我的主体"), "/registry/mine/"),
            Link(_("招标项目"), "/tender/"),
            Link(_("碳排放权交易"), "/orderbook/"),
            Link(_("我的保证金与退款"), "/finance/mine/"),
            Link(_("扫码确认身份"), "/ca/confirm/"),
        ],
    )
    for ref in registry.list_entities_of(actor):
        if ref.id in actor.entity_ids(role):
            panel.rows.append((ref.name, f"{ref.uscc or ''} · {ref.status_label}", f"/registry/{ref.id}/"))
            if not ref.is_active:
                label = _("%(name)s：主体状态为%(status)s") % {"name": ref.name, "status": _(ref.status_label)}
                panel.todos.append(Todo(label, f"/registry/{ref.id}/"))
    if role is Role.MARKET_ENTITY_USER or not actor.has_role(Role.MARKET_ENTITY_USER):  # once, not per panel
        panel.todos.extend(todos.market_entity(actor))
    panel.empty_note = _("尚未关联市场主体。")
    return panel


def _staff_panel(actor: Actor, role: Role) -> Panel:
    scopes = _("、").join(actor.region_scopes(Role.STAFF)) or "—"
    panel = Panel(
        role,
        _(ROLE_LABELS_ZH[role]),
        _("管辖区域：%(scopes)s") % {"scopes": scopes},
        links=[
            Link(_("目录清单管理"), "/catalog/"),
            Link(_("节假日安排"), "/catalog/holidays/"),
            Link(_("主体查询"), "/registry/"),
            Link(_("期限计算器"), "/catalog/periods/"),
            Link(_("招标项目"), "/tender/staff/"),
            Link(_("评标"), "/evaluation/"),
            Link(_("专家库与抽取"), "/experts/pool/"),
            Link(_("保证金对账"), "/finance/staff/"),
            Link(_("分平台数据"), "/exchange/"),
            Link(_("CA互认名单"), "/ca/"),
            Link(_("信息公开率"), "/notices/disclosure/"),
        ],
    )
    for kind, title in catalog.list_rules.LIST_LABELS_ZH.items():
        draft = catalog.current_draft(kind)
        if draft is not None:
            panel.todos.append(
                Todo(
                    _("%(list)s 草稿 v%(number)s 待发布") % {"list": _(title), "number": draft.number},
                    f"/catalog/staff/lists/{kind}/v{draft.number}/",
                )
            )
    provisional = sorted(catalog.provisional_years())
    for year in provisional:
        label = _("%(year)s 年节假日安排为暂定数据，请核对国务院通知后确认") % {"year": year}
        panel.todos.append(Todo(label, f"/catalog/holidays/{year}/"))
    panel.todos.extend(todos.staff(actor))
    return panel


def _regulator_panel(actor: Actor, role: Role) -> Panel:
    scopes = _("、").join(actor.region_scopes(role)) or "—"
    panel = Panel(
        role,
        _(ROLE_LABELS_ZH[role]),
        _("监管区域：%(scopes)s") % {"scopes": scopes},
        links=[
            Link(_("预警"), "/supervision/redflags/"),
            Link(_("投诉处理"), "/complaints/"),
            Link(_("信用记录"), "/credit/"),
            Link(_("信用修复申请"), "/credit/repairs/"),
            Link(_("招标项目监督"), "/tender/staff/"),
            Link(_("主体查询"), "/registry/"),
            Link(_("规则目录"), "/catalog/lists/rules/"),
            Link(_("变更流"), "/api/v1/feed"),
        ],
    )
    panel.todos.extend(todos.regulator(actor))
    for entry in reversed(witness.entries(after=max(witness.head_seq() - 10, 0), limit=10)):
        panel.rows.append((entry.action, f"{entry.actor_label} · {entry.occurred_at:%Y-%m-%d %H:%M}", ""))
    return panel


def _auditor_panel(actor: Actor, role: Role) -> Panel:
    return Panel(
        role,
        _(ROLE_LABELS_ZH[role]),
        _("见证日志共 %(count)s 条记录；可用 yiwang witness verify 独立校验哈希链。") % {"count": witness.head_seq()},
        links=[
            Link(_("电子档案"), "/archive/"),
            Link(_("信息公开率"), "/notices/disclosure/"),
            Link(_("变更流"), "/api/v1/feed"),
            Link(_("开放接口文档"), "/api/v1/docs"),
        ],
    )


def _expert_panel(actor: Actor, role: Role) -> Panel:
    panel = Panel(
        role,
        _(ROLE_LABELS_ZH[role]),
        _("被抽取参加的评审任务显示于此，请在规定时间内确认是否参加。项目名称在评标开始时才向您显示。"),
        links=[Link(_("我的评审任务"), "/experts/tasks/"), Link(_("评标"), "/evaluation/")],
        empty_note=_("暂无评审任务。"),
    )
    panel.todos.extend(todos.expert(actor))
    for task in experts.list_my_tasks(actor):
        when = f"{timezone.localtime(task.meeting_start):%Y-%m-%d %H:%M} · {task.venue or _('地点待定')}"
        if task.may_answer:
            due = f"{timezone.localtime(task.respond_by):%m-%d %H:%M}" if task.respond_by else ""
            label = _("确认是否参加评审（%(specialty)s）") % {"specialty": task.specialty_name}
            panel.todos.append(Todo(label, "/experts/tasks/", due))
        panel.rows.append(
            (task.project or _("（项目信息保密至评标开始）"), f"{when} · {_(task.status_label)}", "/experts/tasks/")
        )
    return panel


def _subplatform_operator_panel(actor: Actor, role: Role) -> Panel:
    panel = Panel(
        role,
        _(ROLE_LABELS_ZH[role]),
        _("您代表本分平台查看报送数据的质量：每月考核完整性、及时性、环节顺序与重复数据，未达标的项目列出问题数据。"),
        links=[Link(_("数据质量月报"), "/exchange/quality/mine/")],
        empty_note=_("上月数据质量全部达标，或尚无考核数据。"),
    )
    panel.todos.extend(todos.subplatform_operator(actor))
    return panel


PANELS: dict[Role, Callable[[Actor, Role], Panel]] = {
    Role.MARKET_ENTITY_USER: _market_entity_panel,
    Role.AGENCY: _market_entity_panel,
    Role.STAFF: _staff_panel,
    Role.REGULATOR: _regulator_panel,
    Role.AUDITOR: _auditor_panel,
    Role.EXPERT: _expert_panel,
    Role.SUBPLATFORM_OPERATOR: _subplatform_operator_panel,
}


def panels_for(actor: Actor) -> list[Panel]:
    """One panel per role the actor holds, in the order of :class:`Role`."""
    return [PANELS[role](actor, role) for role in Role if role in actor.roles and role in PANELS]


def personal_links(actor: Actor) -> list[Link]:
    """Links every signed-in person has, whatever their roles: messages, subscriptions, profile."""
    unread = inbox.unread_count_for(actor)
    return [
        Link(_("站内信（%(count)s 条未读）") % {"count": unread} if unread else _("站内信"), "/messages/"),
        Link(_("我的订阅"), "/notices/subscriptions/"),
        Link(_("个人信息"), "/accounts/profile/"),
        Link(_("访问令牌"), "/accounts/tokens/"),
        Link(_("我的操作记录"), "/accounts/history/"),
    ]
