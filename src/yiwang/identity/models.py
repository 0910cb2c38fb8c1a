"""Accounts, organisations, role grants, and hashed API credentials."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models

from yiwang.kernel.actors import ROLE_LABELS_ZH, Role


class AccountManager(BaseUserManager["Account"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **fields) -> Account:
        account = self.model(username=username, **fields)
        account.set_password(password)
        account.save(using=self._db)
        return account

    def create_superuser(self, username: str, password: str | None = None, **fields) -> Account:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(username, password, **fields)


class Account(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. What they may do comes from their :class:`Grant` rows, not from flags here
    (``is_staff`` only opens Django's admin site for platform operators)."""

    username = models.CharField(
        "登录名",
        max_length=50,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{2,49}$", "登录名为 3–50 位字母、数字或 _.@-")],
    )
    display_name = models.CharField("姓名", max_length=100)
    mobile = models.CharField("手机号", max_length=20, blank=True, default="")
    email = models.EmailField("电子邮箱", blank=True, default="")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)
    # Brute-force protection: consecutive failed sign-ins, and the instant until which sign-in is refused.
    failed_logins = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    objects = AccountManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = "账户"

    def __str__(self) -> str:
        return f"{self.display_name}（{self.username}）"


class OrganisationKind(models.TextChoices):
    PLATFORM_OPERATOR = "platform_operator", "平台运营机构"
    TRADING_CENTRE = "trading_centre", "交易中心/分中心"
    REGULATOR = "regulator", "监管部门"
    SUBPLATFORM_OPERATOR = "subplatform_operator", "分平台运营机构"
    PEER_HUB = "peer_hub", "其他省市交易平台"


class Organisation(models.Model):
    """A public body or operator whose people act on the platform (not a market entity: those are in the
    registry). ``region_code`` is the area it serves."""

    kind = models.CharField(max_length=24, choices=OrganisationKind.choices)
    name = models.CharField(max_length=200, unique=True)
    uscc = models.CharField(max_length=18, blank=True, default="")
    region_code = models.CharField(max_length=6)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "机构"

    def __str__(self) -> str:
        return self.name


class ApiClient(models.Model):
    """A machine (sub-platform, peer hub) using OAuth2 client credentials. The secret is stored hashed."""

    client_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    secret_hash = models.CharField(max_length=256)
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "接口客户端"

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class Grant(models.Model):
    """One role held by an account or a client, for an entity or organisation, over a region."""

    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.CASCADE, related_name="grants")
    client = models.ForeignKey(ApiClient, null=True, blank=True, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(max_length=24, choices=[(r.value, ROLE_LABELS_ZH[r]) for r in Role])
    entity = models.ForeignKey("registry.Entity", null=True, blank=True, on_delete=models.PROTECT)
    organisation = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT)
    region = models.CharField(max_length=6, blank=True, default="")
    admin = models.BooleanField(default=False)
    granted_at = models.DateTimeField()
    granted_by = models.CharField(max_length=120)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "角色授权"
        constraints = [
            models.CheckConstraint(
                name="grant_has_one_holder",
                condition=models.Q(account__isnull=False, client__isnull=True)
                | models.Q(account__isnull=True, client__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["account", "revoked_at"], name="grant_account_active_idx")]

    def __str__(self) -> str:
        return f"{self.role} → {self.account_id or self.client_id}"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class PersonalToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once, when issued."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)  # the first characters, to recognise a token in lists
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "个人访问令牌"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"


class ClientToken(models.Model):
    """An access token issued to an :class:`ApiClient` by the client-credentials grant (hashed)."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "客户端访问令牌"

    def __str__(self) -> str:
        return f"client token of {self.client_id} (expires {self.expires_at:%Y-%m-%d %H:%M})"
