"""State changes of the identity context. Each is atomic, witnessed and announced on the feed.

Secrets (passwords, token values, client secrets) never enter a witness payload or an event.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError

from yiwang.identity.auth import actor_for_account, actor_for_client
from yiwang.identity.domain.tokens import CLIENT, PERSONAL, SECRET, display_prefix, new_token, token_hash
from yiwang.identity.models import (
    Account,
    ApiClient,
    ClientToken,
    Grant,
    Organisation,
    OrganisationKind,
    PersonalToken,
)
from yiwang.kernel.actors import Actor, ActorKind, Role
from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from yiwang.kernel.ids import region_covers, validate_region_code_format, validate_uscc
from yiwang.kernel.versioning import check_version
from yiwang.platform.actions import action
from yiwang.platform.clock import now as clock_now
from yiwang.platform.outbox.feed import Visibility
from yiwang.registry import queries as registry_queries

CLIENT_TOKEN_LIFETIME = timedelta(hours=1)
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
MAX_PERSONAL_TOKEN_DAYS = 366

# Roles that only trading-centre administrators hand out, over a region they cover.
OFFICIAL_ROLES = (Role.STAFF, Role.REGULATOR, Role.AUDITOR, Role.EXPERT, Role.SUBPLATFORM_CLIENT)
ENTITY_ROLES = (Role.MARKET_ENTITY_USER, Role.AGENCY)


def _forbidden(what_zh: str, what_en: str) -> PermissionDenied:
    return PermissionDenied("identity.forbidden", f"无权{what_zh}", f"Not allowed to {what_en}")


def _is_staff_admin_over(actor: Actor, region: str | None) -> bool:
    if actor.is_system:
        return True
    return any(
        g.role is Role.STAFF and g.admin and g.region and (region is None or region_covers(g.region, region))
        for g in actor.grants
    )


# -- accounts ---------------------------------------------------------------------------------------------------
def do_create_account(
    *, actor: Actor, username: str, display_name: str, password: str, mobile: str = "", email: str = ""
) -> Account:
    """Create an account (self sign-up by an anonymous visitor, or by staff)."""
    username = username.strip()
    profile = _validate_profile({"display_name": display_name, "mobile": mobile, "email": email})
    candidate = Account(username=username, **profile)
    try:
        candidate.full_clean(exclude=["password", "date_joined", "last_login"], validate_unique=False)
        validate_password(password, user=candidate)
    except DjangoValidationError as exc:
        field = next(iter(exc.message_dict), "password") if hasattr(exc, "error_dict") else "password"
        messages = exc.messages
        raise InvalidInput(
            f"identity.invalid_{field}", "；".join(messages), "; ".join(messages), {"field": field}
        ) from None
    with action(actor, "identity.create_account") as act:
        if Account.objects.filter(username__iexact=username).exists():
            raise Conflict(
                "identity.username_taken", f"登录名 {username} 已被使用", f"Username {username} is taken"
            ).at("username")
        candidate.set_password(password)
        candidate.date_joined = act.now
        candidate.save()
        act.witness(candidate, {"username": username, "display_name": candidate.display_name})
        act.emit("identity.account_created.v1", candidate, {"username": username}, visibility=Visibility.RESTRICTED)
        return candidate


def do_record_login(*, account: Account, via: str, ip: str = "") -> None:
    """Witness a successful sign-in and clear the failure counter."""
    with action(actor_for_account(account), "identity.login") as act:
        Account.objects.filter(pk=account.pk).update(failed_logins=0, locked_until=None, last_login=act.now)
        act.witness(account, {"via": via, "ip": ip})


def do_record_logout(*, account: Account) -> None:
    with action(actor_for_account(account), "identity.logout") as act:
        act.witness(account, {})


# -- grants -------------------------------------------------------------------------------------------------------
def do_grant_role(
    *,
    actor: Actor,
    role: Role,
    account: Account | None = None,
    client: ApiClient | None = None,
    entity_id: int | None = None,
    organisation: Organisation | None = None,
    region: str = "",
    admin: bool = False,
) -> Grant:
    """Give ``role`` to an account or client.

    Entity roles (market entity user, agency) need an entity and are granted by that entity's admins or by
    staff administrators; official roles need a region and are granted by staff administrators covering it.
    """
    if (account is None) == (client is None):
        raise InvalidInput("identity.grant_holder", "须指定账户或客户端之一", "Give exactly one of account or client")
    if role in ENTITY_ROLES:
        if entity_id is None:
            raise InvalidInput("identity.grant_entity_required", "该角色须指定市场主体", "This role needs an entity")
        if not (actor.acts_for(entity_id, admin=True) or _is_staff_admin_over(actor, None)):
            raise _forbidden("为该主体授权", "grant roles for this entity")
    elif role is Role.SUBPLATFORM_OPERATOR:
        # 分平台运营人员: a person of one sub-platform's operator; the organisation's USCC is its PLATFORM_CODE.
        if organisation is None or organisation.kind != OrganisationKind.SUBPLATFORM_OPERATOR or not organisation.uscc:
            raise InvalidInput(
                "identity.grant_operator_organisation",
                "该角色须指定登记了统一社会信用代码的分平台运营机构",
                "This role needs a sub-platform operator organisation with its USCC",
            )
        region = organisation.region_code
        if not _is_staff_admin_over(actor, region):
            raise _forbidden("授予该区域的此角色", "grant this role over this region")
    elif role in OFFICIAL_ROLES:
        if not region:
            raise InvalidInput("identity.grant_region_required", "该角色须指定管辖区域", "This role needs a region")
        region = validate_region_code_format(region)
        if not _is_staff_admin_over(actor, region):
            raise _forbidden("授予该区域的此角色", "grant this role over this region")
    else:
        raise InvalidInput("identity.grant_role", f"角色 {role} 不能授予", f"Role {role} cannot be granted")
    with action(actor, "identity.grant_role") as act:
        grant = Grant.objects.create(
            account=account,
            client=client,
            role=role.value,
            entity_id=entity_id,
            organisation=organisation,
            region=region,
            admin=admin,
            granted_at=act.now,
            granted_by=actor.ref,
        )
        holder = account if account is not None else client
        payload = {"role": role.value, "entity_id": entity_id, "region": region, "admin": admin}
        act.witness(grant, {**payload, "holder": f"{holder._meta.model_name}:{holder.pk}"})
        act.emit("identity.role_granted.v1", grant, payload, visibility=Visibility.RESTRICTED)
        return grant


def do_revoke_grant(*, actor: Actor, grant: Grant) -> Grant:
    role = Role(grant.role)
    allowed = (
        role in ENTITY_ROLES and grant.entity_id is not None and actor.acts_for(grant.entity_id, admin=True)
    ) or _is_staff_admin_over(actor, grant.region or None)
    if not allowed:
        raise _forbidden("撤销该授权", "revoke this grant")
    with action(actor, "identity.revoke_grant") as act:
        updated = Grant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(revoked_at=act.now)
        if not updated:
            raise Conflict("identity.grant_already_revoked", "该授权已撤销", "This grant is already revoked")
        grant.refresh_from_db()
        act.witness(grant, {"role": grant.role})
        act.emit("identity.role_revoked.v1", grant, {"role": grant.role}, visibility=Visibility.RESTRICTED)
        return grant


# -- personal tokens ------------------------------------------------------------------------------------------------
def do_issue_personal_token(
    *, actor: Actor, account: Account, name: str, expires_in_days: int | None = 90
) -> tuple[PersonalToken, str]:
    """Issue a personal API token; the plaintext is returned once and never stored."""
    if actor.ref != f"account:{account.pk}":
        raise _forbidden("为他人签发令牌", "issue tokens for someone else")
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("identity.token_name", "令牌名称须为 1–100 个字符", "Token name must be 1-100 chars").at(
            "name"
        )
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_PERSONAL_TOKEN_DAYS:
        raise InvalidInput(
            "identity.token_lifetime",
            f"有效期须为 1–{MAX_PERSONAL_TOKEN_DAYS} 天",
            f"Lifetime must be 1-{MAX_PERSONAL_TOKEN_DAYS} days",
        ).at("expires_in_days")
    plaintext = new_token(PERSONAL)
    with action(actor, "identity.issue_personal_token") as act:
        token = PersonalToken.objects.create(
            account=account,
            name=name,
            prefix=display_prefix(plaintext),
            token_hash=token_hash(plaintext),
            created_at=act.now,
            expires_at=act.now + timedelta(days=expires_in_days) if expires_in_days else None,
        )
        act.witness(token, {"name": name, "prefix": token.prefix, "expires_at": _iso(token.expires_at)})
        act.emit("identity.token_issued.v1", token, {"account_id": account.pk}, visibility=Visibility.RESTRICTED)
        return token, plaintext


def do_revoke_personal_token(*, actor: Actor, token_id: int) -> PersonalToken:
    token = PersonalToken.objects.filter(pk=token_id).select_related("account").first()
    if token is None or actor.ref != f"account:{token.account_id}":
        raise NotFound("identity.token_not_found", "未找到该令牌", "No such token")
    with action(actor, "identity.revoke_personal_token") as act:
        if not PersonalToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=act.now):
            raise Conflict("identity.token_already_revoked", "该令牌已撤销", "This token is already revoked")
        token.refresh_from_db()
        act.witness(token, {"prefix": token.prefix})
        act.emit(
            "identity.token_revoked.v1",
            token,
            {"account_id": token.account_id},
            visibility=Visibility.RESTRICTED,
        )
        return token


# -- API clients (OAuth2 client credentials) -------------------------------------------------------------------------
def do_register_client(
    *, actor: Actor, client_id: str, name: str, organisation: Organisation | None = None
) -> tuple[ApiClient, str]:
    """Register a machine client; the secret is returned once and stored hashed."""
    if not _is_staff_admin_over(actor, organisation.region_code if organisation else None):
        raise _forbidden("登记接口客户端", "register API clients")
    secret = new_token(SECRET)
    with action(actor, "identity.register_client") as act:
        try:
            client = ApiClient.objects.create(
                client_id=client_id,
                name=name,
                secret_hash=make_password(secret),
                organisation=organisation,
                created_at=act.now,
            )
        except IntegrityError:
            raise Conflict(
                "identity.client_id_taken", f"客户端标识 {client_id} 已存在", f"Client id {client_id} exists"
            ) from None
        act.witness(client, {"client_id": client_id, "name": name})
        act.emit(
            "identity.client_registered.v1",
            client,
            {"client_id": client_id},
            visibility=Visibility.RESTRICTED,
        )
        return client, secret


def do_issue_client_token(*, client_id: str, client_secret: str) -> tuple[str, datetime]:
    """The OAuth2 client-credentials grant (RFC 6749 §4.4): a short-lived bearer token for a machine."""
    client = ApiClient.objects.filter(client_id=client_id, is_active=True).first()
    # check_password also runs on a dummy hash when the client is unknown, so timing does not reveal ids
    valid = check_password(client_secret, client.secret_hash if client else make_password(None))
    if client is None or not valid:
        raise NotAuthenticated("auth.invalid_client", "客户端标识或密钥错误", "Invalid client credentials")
    plaintext = new_token(CLIENT)
    with action(actor_for_client(client), "identity.issue_client_token") as act:
        token = ClientToken.objects.create(
            client=client,
            token_hash=token_hash(plaintext),
            issued_at=act.now,
            expires_at=act.now + CLIENT_TOKEN_LIFETIME,
        )
        act.witness(token, {"client_id": client_id, "expires_at": _iso(token.expires_at)})
        return plaintext, token.expires_at


def _iso(moment: datetime | None) -> str | None:
    return iso_utc(moment) if moment else None


# -- profile and password ---------------------------------------------------------------------------------------------
PROFILE_FIELDS = ("display_name", "mobile", "email")


def _require_self(actor: Actor, account: Account) -> None:
    if actor.ref != f"account:{account.pk}":
        raise _forbidden("修改他人的账户", "change someone else's account")


def _validate_profile(changes: dict[str, str]) -> dict[str, str]:
    clean: dict[str, str] = {}
    for name, value in changes.items():
        if name not in PROFILE_FIELDS:
            raise InvalidInput(
                "identity.profile_field", f"字段 {name} 不可修改", f"Field {name} cannot be changed", {"field": name}
            )
        value = (value or "").strip()
        if name == "display_name" and not value:
            raise InvalidInput("identity.display_name_required", "请填写姓名", "Display name is required").at(
                "display_name"
            )
        if name == "mobile" and value and not MOBILE.match(value):
            raise InvalidInput(
                "identity.invalid_mobile",
                "手机号应为 11 位中国大陆手机号码",
                "Mobile must be an 11-digit mainland China mobile number",
            ).at("mobile")
        if name == "email" and value:
            try:
                validate_email(value)
            except DjangoValidationError:
                raise InvalidInput("identity.invalid_email", "电子邮箱格式不正确", "Invalid e-mail address").at(
                    "email"
                ) from None
        clean[name] = value
    return clean


def do_update_profile(
    *, actor: Actor, account: Account, changes: dict[str, str], expected_version: int | None
) -> Account:
    """Change one's own display name, mobile or e-mail. ``expected_version`` comes from ``If-Match``."""
    _require_self(actor, account)
    clean = _validate_profile(changes)
    with action(actor, "identity.update_profile") as act:
        locked = Account.objects.select_for_update().get(pk=account.pk)
        check_version(locked.version, expected_version)
        diff = {k: [getattr(locked, k), v] for k, v in clean.items() if getattr(locked, k) != v}
        if diff:
            for name, (_, new) in diff.items():
                setattr(locked, name, new)
            locked.version += 1
            locked.save(update_fields=[*diff, "version"])
        act.witness(locked, {"changed": sorted(diff), "version": locked.version})
        if diff:
            act.emit(
                "identity.profile_updated.v1", locked, {"version": locked.version}, visibility=Visibility.RESTRICTED
            )
        return locked


def do_change_password(*, actor: Actor, account: Account, old_password: str, new_password: str) -> Account:
    _require_self(actor, account)
    if not account.check_password(old_password):
        raise InvalidInput("identity.wrong_password", "原密码不正确", "The current password is wrong").at(
            "old_password"
        )
    try:
        validate_password(new_password, user=account)
    except DjangoValidationError as exc:
        raise InvalidInput(
            "identity.invalid_password", "；".join(exc.messages), "; ".join(exc.messages), {"field": "new_password"}
        ) from None
    with action(actor, "identity.change_password") as act:
        locked = Account.objects.select_for_update().get(pk=account.pk)
        locked.set_password(new_password)
        locked.version += 1
        locked.save(update_fields=["password", "version"])
        act.witness(locked, {})
        return locked


# -- sign-in protection ------------------------------------------------------------------------------------------------
def login_locked_until(username: str) -> datetime | None:
    """The instant until which password sign-in is refused for ``username`` (None: not locked)."""
    found = Account.objects.filter(username__iexact=username.strip()).values_list("locked_until", flat=True).first()
    return found if found and found > clock_now() else None


def do_record_login_failure(*, username: str, ip: str = "") -> Account | None:
    """Count a failed password sign-in; lock the account after ``YIWANG_LOGIN_MAX_FAILURES`` in a row.

    Unknown user names are witnessed too (attempts against accounts that do not exist are a signal), but nothing
    is locked and the answer the person sees is the same, so the form does not reveal which names exist.
    """
    account = Account.objects.filter(username__iexact=username.strip()).first()
    with action(Actor.anonymous(), "identity.login_failed") as act:
        if account is None:
            act.witness(("identity.username", username.strip()[:100]), {"ip": ip, "known": False})
            return None
        locked = Account.objects.select_for_update().get(pk=account.pk)
        locked.failed_logins += 1
        payload: dict = {"ip": ip, "known": True, "failures": locked.failed_logins}
        if locked.failed_logins >= settings.YIWANG_LOGIN_MAX_FAILURES:
            locked.locked_until = act.now + timedelta(minutes=settings.YIWANG_LOGIN_LOCK_MINUTES)
            locked.failed_logins = 0
            payload["locked_until"] = iso_utc(locked.locked_until)
        locked.save(update_fields=["failed_logins", "locked_until"])
        act.witness(locked, payload)
        return locked


# -- organisations ----------------------------------------------------------------------------------------------
def do_create_organisation(
    *, actor: Actor, kind: str, name: str, region_code: str, uscc: str = "", parent: Organisation | None = None
) -> Organisation:
    """Register a public body or operator (trading centre, regulator, sub-platform operator, peer hub)."""
    if kind not in OrganisationKind.values:
        raise InvalidInput(
            "identity.organisation_kind",
            f"机构类型 {kind} 不存在",
            f"Unknown organisation kind {kind}",
            {"allowed": list(OrganisationKind.values)},
        ).at("kind")
    name = name.strip()
    if not name:
        raise InvalidInput("identity.organisation_name", "请填写机构名称", "Organisation name is required").at("name")
    region_code = validate_region_code_format(region_code)
    if uscc:
        uscc = validate_uscc(uscc)
    if not _is_staff_admin_over(actor, region_code):
        raise _forbidden("登记该区域的机构", "register organisations in this region")
    with action(actor, "identity.create_organisation") as act:
        if Organisation.objects.filter(name=name).exists():
            raise Conflict("identity.organisation_exists", f"机构 {name} 已存在", f"Organisation {name} exists").at(
                "name"
            )
        organisation = Organisation.objects.create(
            kind=kind, name=name, region_code=region_code, uscc=uscc, parent=parent
        )
        payload = {
            "kind": kind,
            "name": name,
            "region": region_code,
            "uscc": uscc,
            "parent": parent.pk if parent else None,
        }
        act.witness(organisation, payload)
        act.emit("identity.organisation_created.v1", organisation, payload)
        return organisation


def do_make_operator(*, actor: Actor, account: Account) -> Account:
    """Let a platform operator into Django's (read-only) admin site. Only the system or a staff admin over the
    whole platform may do this; the admin site changes nothing (every change goes through an action)."""
    if not _is_staff_admin_over(actor, settings.YIWANG_PLATFORM_REGION):
        raise _forbidden("授予运维权限", "make platform operators")
    with action(actor, "identity.make_operator") as act:
        Account.objects.filter(pk=account.pk).update(is_staff=True)
        account.refresh_from_db()
        act.witness(account, {"is_staff": True})
        return account


def do_grant_registrant_admin(*, actor: Actor, entity_id: int, agency: bool) -> Grant:
    """Make the person who just registered ``entity_id`` its administrator.

    Only the registrant may receive this, and only while the entity has no administrator yet; afterwards
    administrators are added with :func:`do_grant_role` by an existing administrator or by staff.
    """
    if actor.kind is not ActorKind.ACCOUNT or registry_queries.registrant_of(entity_id) != actor.ref:
        raise _forbidden("成为该主体的管理员", "become this entity's administrator")
    role = Role.AGENCY if agency else Role.MARKET_ENTITY_USER
    with action(actor, "identity.grant_registrant_admin") as act:
        if Grant.objects.filter(entity_id=entity_id, admin=True, revoked_at__isnull=True).exists():
            raise Conflict(
                "identity.entity_has_admin",
                "该主体已有管理员，请联系其管理员授权",
                "The entity already has an administrator",
            )
        grant = Grant.objects.create(
            account_id=int(actor.id),
            role=role.value,
            entity_id=entity_id,
            admin=True,
            granted_at=act.now,
            granted_by=actor.ref,
        )
        payload = {"role": role.value, "entity_id": entity_id, "admin": True, "holder": f"account:{actor.id}"}
        act.witness(grant, payload)
        act.emit("identity.role_granted.v1", grant, payload, visibility=Visibility.RESTRICTED)
        return grant
