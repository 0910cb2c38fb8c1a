"""Django settings, built from the deployment profile (see ``profile.py`` and the README)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.functional import lazy

from yiwang.config.profile import YiwangProfile

PROFILE = YiwangProfile()
DATA_DIR: Path = PROFILE.data_dir
DATA_DIR.mkdir(parents=True, exist_ok=True)
YIWANG_PLATFORM_CODE = PROFILE.platform_code
YIWANG_PLATFORM_NAME = PROFILE.platform_name
YIWANG_PLATFORM_REGION = PROFILE.platform_region
YIWANG_PUBLIC_URL = PROFILE.public_url.rstrip("/")
# The platform's keys and the signed witness log (docs/adr/0007).
YIWANG_PLATFORM_KEY_ALGORITHM = "sm2"  # or "ec-p256"
YIWANG_PLATFORM_SIGNING_KEY = PROFILE.platform_signing_key  # None: made once under DATA_DIR/keys/
YIWANG_WITNESS_SIGN_ENTRIES = True  # each entry signed under the head lock; False: signed tree heads only
YIWANG_WITNESS_HEAD_EVERY_SECONDS = 300


def _embedded_secret_key() -> str:
    """The embedded profile keeps a random key in the data directory, made once, readable by the owner only."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = PROFILE.secret_key or _embedded_secret_key()
DEBUG = PROFILE.debug
ALLOWED_HOSTS = PROFILE.allowed_hosts
YIWANG_BIDBOX = {"TRUSTED_PROXIES": PROFILE.trusted_proxies}  # the bid box's other settings keep their defaults

INSTALLED_APPS = [
    # platform: technical apps, no business rules
    "yiwang.platform.audit",
    "yiwang.platform.keys",
    "yiwang.platform.outbox",
    "yiwang.platform.api",
    "yiwang.platform.web",
    "yiwang.platform.clock",
    "yiwang.platform.storage",
    "yiwang.platform.search",
    "yiwang.platform.notify",
    "yiwang.platform.commands",
    "yiwang.platform.live",
    # shared kernel contexts
    "yiwang.catalog",
    "yiwang.registry",
    "yiwang.identity",
    "yiwang.identity.ca",
    "yiwang.identity.sso",
    # 综合服务系统 services
    "yiwang.services.experts",
    "yiwang.services.finance",
    "yiwang.services.notices",
    "yiwang.services.bidbox",
    "yiwang.services.archive",
    "yiwang.services.venues",
    "yiwang.services.witness",
    # 综合交易系统 trading procedures
    "yiwang.trading.tender",
    "yiwang.trading.tender.evaluation",
    "yiwang.trading.orderbook",
    "yiwang.trading.auction",
    # 综合监管系统 supervision
    "yiwang.supervision.redflags",
    "yiwang.supervision.credit",
    "yiwang.supervision.complaints",
    "yiwang.supervision.stats",
    # data exchange with sub-platforms and peer hubs
    "yiwang.exchange.subplatform",
    "yiwang.exchange.ocds",
    "yiwang.exchange.federation",
    # the portal composes the contexts into pages
    "yiwang.portal",
    # Django and third parties
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "oauth2_provider",  # the OpenID Connect provider behind yiwang.identity.sso
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "yiwang.platform.web.i18n.ChineseFirstLocaleMiddleware",  # Chinese unless the person chose English
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "yiwang.platform.web.middleware.ActorMiddleware",
    "yiwang.platform.web.replica.ReplicaReadsMiddleware",
]

ROOT_URLCONF = "yiwang.config.urls"
WSGI_APPLICATION = "yiwang.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yiwang.platform.web.context.site",
                "yiwang.platform.live.context.live",
            ],
        },
    },
]

# -- databases ----------------------------------------------------------------------------------------------
if PROFILE.uses_postgres:
    DATABASES = {"default": dj_database_url.parse(PROFILE.database_url or "", conn_max_age=60, conn_health_checks=True)}
    DATABASES["default"]["TEST"] = {"NAME": "test_yiwang"}
    if PROFILE.replica_url:  # public reads that may lag go to the hot standby (platform/web/replica.py)
        DATABASES["replica"] = dj_database_url.parse(PROFILE.replica_url, conn_max_age=60, conn_health_checks=True)
        DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "yiwang.sqlite3",
            "OPTIONS": {
                # BEGIN IMMEDIATE: a writer takes the write lock at the start of its transaction, so two
                # writers never deadlock on a read-then-write upgrade, and commit order is lock order.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                # WAL lets readers run beside the single writer; synchronous=FULL makes every acknowledged
                # commit survive a power loss, not only a process crash (see docs/adr/0002).
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
            },
            # Tests use a real file (not shared-cache memory) so locking behaves as in production; one per
            # process, so two test runs on one machine never share (and destroy) each other's database.
            "TEST": {"NAME": str(DATA_DIR / f"test-yiwang-{os.getpid()}.sqlite3")},
        }
    }
DATABASE_ROUTERS = ["yiwang.platform.web.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# -- cache ----------------------------------------------------------------------------------------------------
if PROFILE.profile == "scaleout":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": PROFILE.redis_url}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# -- background tasks ---------------------------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# -- accounts -------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "identity.Account"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "identity:login"
# Brute-force protection for password sign-in: after this many consecutive failures the account is locked
# for this many minutes (a security policy of the platform, not a legal number).
YIWANG_LOGIN_MAX_FAILURES = 5
YIWANG_LOGIN_LOCK_MINUTES = 15
LOGIN_REDIRECT_URL = "portal:workbench"
LOGOUT_REDIRECT_URL = "portal:home"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# The ports (Warehouse style): low tiers name what they need; the implementation is chosen here.
YIWANG_ACTOR_RESOLVER = "yiwang.identity.auth.ActorResolver"
YIWANG_CLOCK = "yiwang.kernel.clock.SystemClock"
YIWANG_REGISTRY_AUTHORITATIVE_SOURCE = "yiwang.registry.sources.DemoAuthoritativeSource"  # 零提供 (demo register)
YIWANG_REGISTRY_REGISTRATION_HOOK = "yiwang.identity.hooks.RegistrantBecomesAdmin"
YIWANG_REGISTRY_ROLE_GATE = "yiwang.supervision.credit.gates.RegistryRoleGate"
# 失信联合惩戒: the tender context refuses bidders that supervision's credit records restrict.
YIWANG_TENDER = {"CREDIT_GATE": "yiwang.supervision.credit.gates.TenderCreditGate"}
YIWANG_AUCTION_CREDIT_GATE = "yiwang.supervision.credit.gates.AuctionCreditGate"
YIWANG_EXPERTS_CREDIT_GATE = "yiwang.supervision.credit.gates.ExpertCreditGate"
# 投诉处理期间责令暂停: a complaint's suspension reaches the tender section through the tender context's actions
YIWANG_COMPLAINTS = {"PROCEDURE_PORT": "yiwang.supervision.complaints.ports.TenderSections"}
# OCDS publication (exchange/ocds): the ocid prefix registered with the Open Contracting Partnership, the publisher.
YIWANG_OCDS = {"OCID_PREFIX": "ocds-yw0001", "PUBLISHER_NAME": "一网交易平台", "PUBLISHER_UID": ""}

# -- single sign-on: the hub as an OpenID Connect provider (yiwang.identity.sso, docs/sso.md) ---------------------


def _oidc_signing_key() -> str:
    """The RS256 key that signs ID tokens: made once under DATA_DIR/oidc/ on first use, never committed."""
    from yiwang.identity.sso.keys import signing_key_pem

    return signing_key_pem(DATA_DIR / "oidc")


OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": f"{YIWANG_PUBLIC_URL}/sso",
    "OIDC_RSA_PRIVATE_KEY": lazy(_oidc_signing_key, str)(),
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,  # no question when the ID token names the signed-in person
    "OAUTH2_VALIDATOR_CLASS": "yiwang.identity.sso.validators.HubValidator",
    "SCOPES": {
        "openid": "以您的平台账户登录",
        "profile": "您的姓名和登录名",
        "entity": "您所属的市场主体或机构（名称、统一社会信用代码）",
        "roles": "您在平台上的角色",
    },
    "DEFAULT_SCOPES": ["openid"],
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "PKCE_REQUIRED": True,
    "REQUEST_APPROVAL_PROMPT": "auto",
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": SESSION_COOKIE_AGE,
    # RFC 9700 (OAuth 2.0 security best current practice), all enforced: S256 only, no implicit or password
    # grant, bearer tokens in the header only, tokens stored hashed only, ``iss`` in the authorization response.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # the admin site only reads; clients are registered through yiwang.identity.sso's actions
    "APPLICATION_ADMIN_CLASS": "yiwang.identity.sso.admin.ApplicationAdmin",
    "ACCESS_TOKEN_ADMIN_CLASS": "yiwang.identity.sso.admin.AccessTokenAdmin",
    "GRANT_ADMIN_CLASS": "yiwang.identity.sso.admin.GrantAdmin",
    "ID_TOKEN_ADMIN_CLASS": "yiwang.identity.sso.admin.IDTokenAdmin",
    "REFRESH_TOKEN_ADMIN_CLASS": "yiwang.identity.sso.admin.RefreshTokenAdmin",
}
# django-oauth-toolkit's own client model, named so that migrations referring to it resolve (Django looks the
# swappable setting up by name).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"

# -- i18n: Chinese first -------------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# -- static files (vendored, no CDN) -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing root before collectstatic ran
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"

# -- document store (platform.storage, docs/storage.md) -----------------------------------------------------------
YIWANG_STORAGE = {
    "BACKEND": "yiwang.platform.storage.blobs.LocalFilesystemBlobStore",
    "OPTIONS": {"root": DATA_DIR / "blobs"},
    "VIRUS_SCANNER": "yiwang.platform.storage.scanning.NoVirusScanner",
}
# Uploads go to disk and are cut off past the largest size limit, so one request cannot fill the disk.
FILE_UPLOAD_HANDLERS = ["yiwang.platform.storage.uploads.BoundedUploadHandler"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": PROFILE.log_level},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # PDF rendering logs at INFO on every notice; keep it to warnings
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
