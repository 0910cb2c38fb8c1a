"""Who is acting: the value every action and query receives.

An :class:`Actor` is built once per request (or task, or clock tick) by the identity context and passed down.
Lower contexts never look accounts up themselves; they ask the actor: does it hold this role, for which
market entity, over which region? That keeps permissions in one vocabulary and keeps the tiers apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from yiwang.kernel.ids import region_covers


class Role(StrEnum):
    """The roles of the platform (see docs/glossary.md)."""

    MARKET_ENTITY_USER = "market_entity_user"  # 市场主体用户: acts for a registered market entity
    AGENCY = "agency"  # 招标代理/采购代理机构: acts for an agency entity
    STAFF = "staff"  # 交易中心工作人员: trading-centre staff, scoped to a region
    EXPERT = "expert"  # 评标/评审专家
    REGULATOR = "regulator"  # 监管部门: supervision, scoped to a region
    SUBPLATFORM_CLIENT = "subplatform_client"  # 分平台接口客户端 (machines)
    SUBPLATFORM_OPERATOR = "subplatform_operator"  # 分平台运营人员: a person acting for one sub-platform
    AUDITOR = "auditor"  # 审计: reads everything in scope, changes nothing
    PUBLIC = "public"  # 社会公众: anyone, signed in or not


ROLE_LABELS_ZH: dict[Role, str] = {
    Role.MARKET_ENTITY_USER: "市场主体用户",
    Role.AGENCY: "代理机构",
    Role.STAFF: "交易中心工作人员",
    Role.EXPERT: "评审专家",
    Role.REGULATOR: "监管人员",
    Role.SUBPLATFORM_CLIENT: "分平台接口",
    Role.SUBPLATFORM_OPERATOR: "分平台运营人员",
    Role.AUDITOR: "审计人员",
    Role.PUBLIC: "社会公众",
}


@dataclass(frozen=True)
class RoleGrant:
    """One role held by an account or client, with what it is held for.

    ``entity_id``: the registry entity the holder acts for (market entity users and agencies).
    ``organisation_id``: the organisation (trading centre, regulator, sub-platform) the holder belongs to.
    ``region``: a GB/T 2260 code limiting what the holder sees (310000 = all of Shanghai, 310112 = 闵行 only).
    ``admin``: may manage the entity or organisation itself (members, registration data).
    """

    role: Role
    entity_id: int | None = None
    organisation_id: int | None = None
    region: str | None = None
    admin: bool = False


class ActorKind(StrEnum):
    ACCOUNT = "account"  # a person signed in
    CLIENT = "client"  # a machine with client credentials (sub-platform, peer hub)
    SYSTEM = "system"  # the platform itself: clock, worker, migrations, seeding
    ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str
    label: str
    grants: tuple[RoleGrant, ...] = field(default=())

    # -- constructors -------------------------------------------------------------------------------------
    @classmethod
    def anonymous(cls) -> Actor:
        return cls(ActorKind.ANONYMOUS, "", "匿名访客")

    @classmethod
    def system(cls, component: str) -> Actor:
        """The platform acting on its own (``clock``, ``worker``, ``seed`` …). It holds no role: actions
        that the system may perform say so explicitly."""
        return cls(ActorKind.SYSTEM, component, f"系统:{component}")

    # -- questions ------------------------------------------------------------------------------------------
    @property
    def ref(self) -> str:
        """A stable reference for logs: ``account:12``, ``client:sp-minhang``, ``system:clock``."""
        return f"{self.kind.value}:{self.id}" if self.id else self.kind.value

    @property
    def is_authenticated(self) -> bool:
        return self.kind in (ActorKind.ACCOUNT, ActorKind.CLIENT)

    @property
    def is_system(self) -> bool:
        return self.kind is ActorKind.SYSTEM

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(g.role for g in self.grants)

    def has_role(self, *roles: Role) -> bool:
        return any(g.role in roles for g in self.grants)

    def entity_ids(self, *roles: Role) -> frozenset[int]:
        """Entities this actor acts for (in any of ``roles``, default: market entity user or agency)."""
        wanted = roles or (Role.MARKET_ENTITY_USER, Role.AGENCY)
        return frozenset(g.entity_id for g in self.grants if g.role in wanted and g.entity_id is not None)

    def acts_for(self, entity_id: int, *, admin: bool = False) -> bool:
        return any(
            g.entity_id == entity_id and g.role in (Role.MARKET_ENTITY_USER, Role.AGENCY) and (g.admin or not admin)
            for g in self.grants
        )

    def region_scopes(self, *roles: Role) -> tuple[str, ...]:
        """The region codes over which this actor holds one of ``roles``."""
        return tuple(sorted({g.region for g in self.grants if g.role in roles and g.region}))

    def covers_region(self, region_code: str | None, *roles: Role) -> bool:
        """Does the actor hold one of ``roles`` over ``region_code``? (310000 covers every 31xxxx code.)"""
        if not region_code:
            return False
        return any(region_covers(scope, region_code) for scope in self.region_scopes(*roles))
