"""Settings for wangge, read from environment variables with safe embedded defaults.

With no environment at all the product runs on an embedded SQLite database under ./var,
serves static files itself (WhiteNoise) and runs background tasks on the database backend.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("WANGGE_VAR_DIR", PROJECT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # Embedded mode: a per-installation key kept next to the database, never a shared default.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        from django.core.management.utils import get_random_secret_key

        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

# Key for encrypting ID numbers at rest (Fernet, urlsafe base64 of 32 bytes). Derived from
# SECRET_KEY when not given, so the embedded mode works out of the box.
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")

ALLOWED_HOSTS = [
    h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    "treebeard",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "wangge.core",
    "wangge.areas",
    "wangge.accounts",
    "wangge.people",
    "wangge.cases",
    "wangge.party",
    "wangge.disclosure",
    "wangge.fieldwork",
    "wangge.supervision",
    "wangge.scoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "wangge.core.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "wangge.urls"
WSGI_APPLICATION = "wangge.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wangge.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'wangge.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The statements that core.bulk sends with server-side parameters (the intake's inserts:
    # every phone report's receipt, the worker's batches) are prepared by PostgreSQL after
    # their fifth use on a connection, instead of being parsed and planned every time (about
    # 80 µs of the server's CPU per report). Django's other queries bind on the client and are
    # never prepared. Behind a pooler in transaction mode (PgBouncer < 1.21), set
    # DB_PREPARE_THRESHOLD to an empty value.
    _threshold = os.environ.get("DB_PREPARE_THRESHOLD", "5")
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        int(_threshold) if _threshold else None
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend with a finer wait for the write lock (see wangge.core.sqlite3.base).
    DATABASES["default"]["ENGINE"] = "wangge.core.sqlite3"
    # WAL lets the web server and the task worker use the embedded database at the same time.
    # synchronous=FULL: every commit is on disk before it returns, as PostgreSQL's is — an
    # acknowledged report survives a power cut (with NORMAL, the commits since the last
    # checkpoint may roll back after one; village offices lose power).
    _synchronous = (os.environ.get("WANGGE_SQLITE_SYNCHRONOUS") or "FULL").upper()
    if _synchronous not in ("FULL", "NORMAL", "EXTRA"):
        raise ImproperlyConfigured("WANGGE_SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA.")
    DATABASES["default"]["OPTIONS"] = {
        # 64 MiB of page cache per connection (the default is 2 MiB): a county's indexes are
        # hundreds of MiB, and every new case touches a page of each.
        "init_command": (
            f"PRAGMA journal_mode=WAL; PRAGMA synchronous={_synchronous}; "
            "PRAGMA busy_timeout=10000; PRAGMA cache_size=-65536;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # In memory unless asked otherwise (named: pytest-django only knows Django's own engine).
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("WANGGE_TEST_SQLITE") or ":memory:"}

    def _intake_file(name: str) -> str:
        """The intake database's file beside the main one: wangge.sqlite3 → wangge-intake.sqlite3."""
        if not name or name == ":memory:" or name.startswith("file:"):
            return ":memory:"
        path = Path(name)
        return str(path.with_name(f"{path.stem}-intake{path.suffix}"))

    # The receipts of acknowledged reports in a file of their own (see wangge.core.routers):
    # a report is acknowledged while the task worker writes a batch of cases. Back up both.
    DATABASES["intake"] = {
        **DATABASES["default"],
        "NAME": _intake_file(str(DATABASES["default"]["NAME"])),
        "OPTIONS": dict(DATABASES["default"]["OPTIONS"]),
        "TEST": {"NAME": _intake_file(DATABASES["default"]["TEST"]["NAME"])},
    }
DATABASE_ROUTERS = ["wangge.core.routers.IntakeRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Chinese first: zh-Hans is the default, English is available.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Uploads: spreadsheets and photos. Larger bodies are refused before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
WANGGE_MAX_IMPORT_BYTES = int(os.environ.get("WANGGE_MAX_IMPORT_BYTES", str(10 * 1024 * 1024)))
WANGGE_MAX_IMPORT_ROWS = int(os.environ.get("WANGGE_MAX_IMPORT_ROWS", "200000"))

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "wangge",
        }
    }

# Background tasks: the database backend by default (no extra service), RQ on Redis when
# TASK_BACKEND=redis and REDIS_URL are set (several app servers), immediate in unit tests.
TASK_BACKEND = os.environ.get("TASK_BACKEND", "database")
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "redis": "django_tasks_rq.RQBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }.get(TASK_BACKEND, TASK_BACKEND),
        "QUEUES": ["default"],
    }
}
# Periodic tasks enqueued by `wangge scheduler` (started by `wangge serve`): (task, seconds).
WANGGE_PERIODIC_TASKS = [
    ("wangge.cases.tasks.sweep_deadlines", int(os.environ.get("WANGGE_SWEEP_SECONDS", "300"))),
    # Acknowledged reports 受理回执 not yet taken in (each receipt also asks for a run itself).
    ("wangge.cases.tasks.process_intake", 30),
    ("wangge.cases.tasks.prune_receipts", 86400),
    # Yesterday's daily reports and 2348 compliance (idempotent; hourly so a missed run heals).
    ("wangge.fieldwork.tasks.close_days", 3600),
    # Overdue supervision problems turn red and escalate, like cases.
    ("wangge.supervision.tasks.sweep_problems", 900),
    # Assessments of the periods that have ended, and the admonishment list (idempotent).
    ("wangge.scoring.tasks.assess_periods", 3600),
]
# 一事一议 ceilings set by the province (村民一事一议筹资筹劳管理办法).
WANGGE_ONE_MATTER_CAP_PER_PERSON = os.environ.get("WANGGE_ONE_MATTER_CAP_PER_PERSON", "20")
WANGGE_ONE_MATTER_HOUSEHOLD_SIZE = int(os.environ.get("WANGGE_ONE_MATTER_HOUSEHOLD_SIZE", "4"))
WANGGE_ONE_MATTER_LABOUR_DAYS = int(os.environ.get("WANGGE_ONE_MATTER_LABOUR_DAYS", "10"))
# Days the plan is announced before the villagers' meeting may vote on it (提前公告).
WANGGE_ONE_MATTER_NOTICE_DAYS = int(os.environ.get("WANGGE_ONE_MATTER_NOTICE_DAYS", "7"))
# Behind a reverse proxy, the client address for the public forms' rate limits is taken from
# X-Forwarded-For only when the request comes from one of these addresses (comma separated).
WANGGE_TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("WANGGE_TRUSTED_PROXIES", "").split(",") if p.strip()
]
if TASK_BACKEND == "redis":
    INSTALLED_APPS += ["django_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "wangge.core.rest.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "wangge.core.rest.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "wangge.core.rest.exception_handler",
    # A JSON body nested past the recursion limit is a 400, never a 500.
    "DEFAULT_PARSER_CLASSES": [
        "wangge.core.rest.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "wangge API",
    "DESCRIPTION": "网格化服务管理平台 REST API. Authenticate with `Authorization: Token <key>` "
    "(POST /api/auth/token/ with username and password).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Several apps have a "level", "state" or "kind" field; name each enum after its choices.
    "ENUM_NAME_OVERRIDES": {
        "AreaLevelEnum": "wangge.areas.choices.AreaLevel",
        "CaseLevelEnum": "wangge.cases.choices.Level",
        "CaseStateEnum": "wangge.cases.choices.CaseState",
        "CaseSourceEnum": "wangge.cases.choices.Source",
        "SatisfactionEnum": "wangge.cases.choices.Satisfaction",
        "AreaKindEnum": "wangge.areas.choices.AreaKind",
        "PartyOrgKindEnum": "wangge.party.choices.OrgKind",
        "MeetingKindEnum": "wangge.party.choices.MeetingKind",
        "TeamKindEnum": "wangge.party.choices.TeamKind",
        "ModelPostKindEnum": "wangge.party.choices.ModelPostKind",
        "MemberStatusEnum": "wangge.party.choices.MemberStatus",
        "NeedStatusEnum": "wangge.party.choices.NeedStatus",
        "NeedSourceEnum": "wangge.party.choices.NeedSource",
        "CallStatusEnum": "wangge.party.choices.CallStatus",
        "DecisionKindEnum": "wangge.disclosure.choices.DecisionKind",
        "IssueKindEnum": "wangge.disclosure.choices.IssueKind",
        "IssueSourceEnum": "wangge.disclosure.choices.IssueSource",
        "IssueStatusEnum": "wangge.disclosure.choices.IssueStatus",
        "FeedbackKindEnum": "wangge.disclosure.choices.FeedbackKind",
        "DisclosureStatusEnum": "wangge.disclosure.choices.DisclosureStatus",
        "SupervisionStatusEnum": "wangge.disclosure.choices.SupervisionStatus",
        "AttachmentKindEnum": "wangge.cases.choices.AttachmentKind",
        "ListSourceEnum": "wangge.people.choices.ListSource",
    },
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {"wangge": {"level": os.environ.get("LOG_LEVEL", "INFO")}},
}
