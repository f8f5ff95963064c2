"""Settings shared by every environment. Values come from the environment (django-environ)."""

from __future__ import annotations

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from patientview.observability import logging_config, sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("PATIENTVIEW_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_prometheus",
    "feedback",
    "analytics",
    "demo",
    "paper",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "patientview.observability.RequestIdMiddleware",
    "patientview.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The patient's pages in the language of their URL (English unprefixed, Welsh under /cy/);
    # every other page in English (docs/adr/0021). After sessions, before CommonMiddleware.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "patientview.staff_security.StaffSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "patientview.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# Request bodies over 1 MB are refused with 413 (patient feedback is at most 5,000 characters).
MAX_REQUEST_BODY_BYTES = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES

# Attachments (letters, photos, forms on an item; feedback/services/attachments.py): each at most
# this size, at most this many an item. They are kept through the storage API ("default" in
# STORAGES: the folder MEDIA_ROOT here, object storage in production when ATTACHMENTS_BUCKET is
# set) and never served as media (there is no MEDIA_URL): only the attachment views serve them,
# to those who may see the item. Views that take a file accept bodies up to three times the file
# limit, so a file a little too large gets the page's own error naming the limit, not a bare 413.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENTS_PER_ITEM = env.int("ATTACHMENTS_PER_ITEM", default=10)
UPLOAD_REQUEST_MAX_BYTES = 3 * ATTACHMENT_MAX_BYTES
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "uploads")))

# FFT uploads (feedback/services/fft_uploads.py): an organisation's monthly Friends and Family Test
# export, CSV or XLSX. A large acute trust gets tens of thousands of answers a month; an export
# past these limits is refused with a message naming them (split it by month or service). The
# file is kept through the storage API until the worker has read it.
FFT_UPLOAD_MAX_BYTES = env.int("FFT_UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
# Scanned paper forms (paper/, docs/adr/0023): the files of one upload together at most this
# size and this many pages (a 50-page scan at 150-200 dpi is 10-20 MB).
PAPER_UPLOAD_MAX_BYTES = env.int("PAPER_UPLOAD_MAX_BYTES", default=50 * 1024 * 1024)
PAPER_UPLOAD_MAX_PAGES = env.int("PAPER_UPLOAD_MAX_PAGES", default=100)
PAPER_PRINT_MAX_COPIES = 200
FFT_UPLOAD_MAX_ROWS = env.int("FFT_UPLOAD_MAX_ROWS", default=200_000)
# The refused rows kept and shown (the count of all of them is kept too).
FFT_UPLOAD_ERRORS_KEPT = 100
# A rejected upload's list of rows with problems is cleared this long after the upload finished
# (by the daily retention task, feedback/services/privacy.py): it serves only until the file is
# corrected, and the file itself is not kept (docs/adr/0017).
FFT_UPLOAD_ROW_ERRORS_DAYS = env.int("FFT_UPLOAD_ROW_ERRORS_DAYS", default=30)
# Rows saved a transaction (and one analysis message each ANALYSIS_BATCH_SIZE of them).
FFT_UPLOAD_CHUNK_ROWS = env.int("FFT_UPLOAD_CHUNK_ROWS", default=2000)
# An upload whose worker has said nothing for this long is handed out again (the rows' digests
# make a second run harmless), at most FFT_UPLOAD_MAX_ATTEMPTS times in all.
FFT_UPLOAD_CLAIM_TIMEOUT_SECONDS = env.int("FFT_UPLOAD_CLAIM_TIMEOUT_SECONDS", default=20 * 60)
FFT_UPLOAD_MAX_ATTEMPTS = 3

# Content security policy: our own scripts and styles only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# No session outlives 8 hours; staff sessions also end after 30 minutes idle
# (patientview/staff_security.py). The patient's journey keeps its answers for 2 hours at most.
SESSION_COOKIE_AGE = 8 * 60 * 60
STAFF_SESSION_MAX_SECONDS = env.int("STAFF_SESSION_MAX_SECONDS", default=8 * 60 * 60)
STAFF_SESSION_IDLE_SECONDS = env.int("STAFF_SESSION_IDLE_SECONDS", default=30 * 60)
JOURNEY_SESSION_SECONDS = 2 * 60 * 60

ROOT_URLCONF = "patientview.urls"
WSGI_APPLICATION = "patientview.wsgi.application"

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
            ],
        },
    },
]

# One embedded default for a laptop (SQLite in var/); real services by URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write to the same file: wait for the lock, don't fail.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "feedback.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# After 5 failed sign-ins an account is locked for 30 minutes, whatever address they came from,
# and so is an address, whatever accounts it tried (one password against many usernames).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The client's address as the rest of the service sees it (TRUSTED_PROXIES).
AXES_CLIENT_IP_CALLABLE = "patientview.client.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "staff/locked_out.html"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "NHS Patient View"
LOGIN_URL = "login"
LOGIN_URL_PATH = "/staff/login/"
LOGIN_REDIRECT_URL = "staff-queue"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# The languages the patient's pages are written in (docs/adr/0021; docs/languages.md says how to
# add one). Only languages whose catalogue is complete are listed: a test fails otherwise.
LANGUAGES = [
    ("en-gb", "English"),
    ("cy", "Cymraeg"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language cookie only says the patient has chosen (or been sent to) a language: the start
# page follows the browser's Accept-Language to /cy/ only for someone without it (docs/adr/0021).
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]

# How many proxies run in front of the web server (0: gunicorn faces the clients). Only their
# entries in X-Forwarded-For are trusted (patientview/client.py); DRF's throttles use the same.
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)

REST_FRAMEWORK = {
    "NUM_PROXIES": TRUSTED_PROXIES,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "feedback.api.errors.exception_handler",
    # DRF's defaults, with a JSON parser that answers 400 (not 500) to deeply nested bodies.
    "DEFAULT_PARSER_CLASSES": [
        "feedback.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {
        # Per client address. A patient submits a handful; a script submitting hundreds is not
        # a patient. Raised for load tests with FEEDBACK_SUBMIT_RATE.
        "feedback_submit": env.str("FEEDBACK_SUBMIT_RATE", default="30/minute"),
        # Regulator API, per token (analytics.api.throttling): pages, aggregates and KO41; and
        # whole-period CSV/NDJSON streams, which are heavier.
        "regulator": env.str("REGULATOR_API_RATE", default="120/minute"),
        "regulator_stream": env.str("REGULATOR_STREAM_RATE", default="60/hour"),
    },
}

# Throttle counters must be shared by every web process: Redis where there is one.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # The same cache, reusing one client per connection pool (patientview/cache.py).
    CACHES["default"]["BACKEND"] = "patientview.cache.PooledRedisCache"
SPECTACULAR_SETTINGS = {
    "TITLE": "NHS Patient View API",
    "DESCRIPTION": "Patient feedback and complaints: submit, track, work and export.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Routes and organisation kinds share their values (trust, icb, cqc): one enum for both.
    "ENUM_NAME_OVERRIDES": {
        "FeedbackKindEnum": "feedback.choices.Kind",
        "OrganisationKindEnum": "feedback.choices.OrganisationKind",
        "RouteEnum": "feedback.choices.Route",
        # The regulator export has every channel; the staff entry form a few of them.
        "FeedbackChannelEnum": "feedback.choices.Channel",
        # An item's status and an FFT upload's are both "status": each its own name.
        "StatusEnum": "feedback.choices.Status",
        "FftUploadStatusEnum": "feedback.choices.FftUploadStatus",
        # A representative's consent: every state (items, exports), what the person writing
        # may say, and what staff record.
        "ConsentEnum": "feedback.choices.Consent",
        "ConsentAnswerEnum": "feedback.choices.CONSENT_ANSWER_CHOICES",
        "ConsentOutcomeEnum": "feedback.choices.CONSENT_OUTCOME_CHOICES",
    },
}

# Celery. Without a broker URL the worker and the web server share a folder-based broker in var/,
# which needs no server (see docs/adr/0002-embedded-broker.md).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or env.str("REDIS_URL", default="")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A publish to a broker that is down fails in half a second, not after Redis' defaults.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 0.5}
if not CELERY_BROKER_URL:
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast (worker control) messages: under var/ too, not in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Late acknowledgement: a message is only removed once its task finished, so a killed worker's
# message is delivered again; tasks claim their rows first so a redelivery does nothing twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "intake"
CELERY_TASK_ROUTES = {
    "feedback.tasks.analyse_feedback": {"queue": "analysis"},
    # An FFT upload is read and saved on a queue of its own, and its thousands of items are
    # analysed from another (ANALYSIS_BULK_QUEUE): a patient's item, sent to "analysis", waits
    # for one batch at most, never behind a month of FFT answers.
    "feedback.tasks.process_fft_upload": {"queue": "imports"},
    # Scanned forms are read (OCR) on the imports queue too, never in a web request.
    "paper.tasks.read_scan_upload": {"queue": "imports"},
    "feedback.tasks.requeue_fft_uploads": {"queue": "intake"},
    "feedback.tasks.requeue_unanalysed": {"queue": "intake"},
    "feedback.tasks.worker_heartbeat": {"queue": "analysis"},
    "feedback.tasks.send_notification": {"queue": "intake"},
    "feedback.tasks.clear_expired_sessions": {"queue": "intake"},
    "feedback.tasks.anonymise_after_retention": {"queue": "intake"},
    "analytics.tasks.refresh_stats": {"queue": "intake"},
}
CELERY_BEAT_SCHEDULE = {
    "requeue-unanalysed": {
        "task": "feedback.tasks.requeue_unanalysed",
        "schedule": env.float("REQUEUE_INTERVAL_SECONDS", default=60.0),
    },
    "requeue-fft-uploads": {
        "task": "feedback.tasks.requeue_fft_uploads",
        "schedule": 300.0,
    },
    "worker-heartbeat": {
        "task": "feedback.tasks.worker_heartbeat",
        "schedule": 30.0,
    },
    "resend-pending-notifications": {
        "task": "feedback.tasks.resend_pending_notifications",
        "schedule": 300.0,
    },
    "refresh-dashboard-stats": {
        "task": "analytics.tasks.refresh_stats",
        "schedule": env.float("STATS_REFRESH_INTERVAL_SECONDS", default=60.0),
    },
    "anonymise-after-retention": {
        "task": "feedback.tasks.anonymise_after_retention",
        "schedule": crontab(hour=2, minute=30),
    },
    "clear-expired-sessions": {
        # Abandoned journeys' answers (names, contact details) leave the database with them.
        "task": "feedback.tasks.clear_expired_sessions",
        "schedule": crontab(minute=17),
    },
    "warn-due-and-overdue": {
        "task": "feedback.tasks.warn_due_and_overdue",
        "schedule": crontab(hour=7, minute=0),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Analysis.
ANALYSIS_ARTIFACTS_DIR = Path(
    env.str("ANALYSIS_ARTIFACTS_DIR", default=str(BASE_DIR / "analytics" / "artifacts"))
)
PATIENT_FEEDBACK_DATA_DIR = Path(
    env.str(
        "PATIENT_FEEDBACK_DATA_DIR",
        default=str(BASE_DIR.parent / "shared" / "data" / "patient-feedback"),
    )
)
ANALYSIS_BATCH_SIZE = env.int("ANALYSIS_BATCH_SIZE", default=32)
# Where the analysis of bulk-loaded items (FFT uploads) is queued: the workers consume it beside
# "analysis", taking from each in turn.
ANALYSIS_BULK_QUEUE = "analysis_bulk"
# The arithmetic the reader runs in: "auto" (bfloat16 on a CPU with AMX, else fp32), "fp32" or
# "bf16" (ADR 0014). Training and evaluate_models always use fp32.
READER_PRECISION = env.str("READER_PRECISION", default="auto")
if READER_PRECISION not in ("auto", "fp32", "bf16"):
    raise ImproperlyConfigured(
        f"READER_PRECISION must be auto, fp32 or bf16, not {READER_PRECISION!r}"
    )
# An item claimed by a worker that died is handed out again after this long.
ANALYSIS_CLAIM_TIMEOUT_SECONDS = env.int("ANALYSIS_CLAIM_TIMEOUT_SECONDS", default=300)
# Items still queued after this long are enqueued again by the periodic task.
ANALYSIS_REQUEUE_AFTER_SECONDS = env.int("ANALYSIS_REQUEUE_AFTER_SECONDS", default=60)
# An item whose analysis failed this many times is set aside: routed by the rules, flagged for
# people to review, never retried again (a batch that always fails must not block the queue).
ANALYSIS_MAX_ATTEMPTS = env.int("ANALYSIS_MAX_ATTEMPTS", default=5)

FEEDBACK_TEXT_MAX_LENGTH = 5000
# A closed complaint may be reopened for a further local response this long after it closed
# (PHSO NHS Complaint Standards: a dissatisfied complainant is offered one before the Ombudsman).
REOPEN_WITHIN_DAYS = env.int("REOPEN_WITHIN_DAYS", default=90)

# Records Management Code of Practice: complaint case files are kept 10 years after closure, then
# anonymised (feedback/services/privacy.py); compliments and suggestions carry no case file.
RETENTION_YEARS_AFTER_CLOSURE = {
    "complaint": env.int("RETENTION_YEARS_COMPLAINT", default=10),
    "concern": env.int("RETENTION_YEARS_CONCERN", default=10),
    "compliment": env.int("RETENTION_YEARS_COMPLIMENT", default=2),
    "suggestion": env.int("RETENTION_YEARS_SUGGESTION", default=2),
}

# Regulator API (issue 6, docs/adr/0006-regulator-tokens.md).
# Pseudonymous ids in exports are HMAC-SHA256 under this key: stable within a deployment,
# different between deployments. Empty: derived from SECRET_KEY (set it in production, so that
# rotating SECRET_KEY does not change every pseudonym).
PSEUDONYM_KEY = env.str("PSEUDONYM_KEY", default="")
REGULATOR_TOKEN_DEFAULT_DAYS = env.int("REGULATOR_TOKEN_DEFAULT_DAYS", default=90)
REGULATOR_TOKEN_MAX_DAYS = 366

# Email to patients and staff. GOV.UK Notify is used when a key is set (one template per kind,
# each with ((subject)) and ((body)) placeholders); otherwise Django's email backend.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Patient View <noreply@localhost>")
GOVUK_NOTIFY_API_KEY = env.str("GOVUK_NOTIFY_API_KEY", default="")
GOVUK_NOTIFY_TEMPLATES = {
    "receipt": env.str("GOVUK_NOTIFY_TEMPLATE_RECEIPT", default=""),
    "reopened": env.str("GOVUK_NOTIFY_TEMPLATE_REOPENED", default=""),
    "security_code": env.str("GOVUK_NOTIFY_TEMPLATE_SECURITY_CODE", default=""),
    "acknowledgement": env.str("GOVUK_NOTIFY_TEMPLATE_ACKNOWLEDGEMENT", default=""),
    "response": env.str("GOVUK_NOTIFY_TEMPLATE_RESPONSE", default=""),
    "merged": env.str("GOVUK_NOTIFY_TEMPLATE_MERGED", default=""),
    "unmerged": env.str("GOVUK_NOTIFY_TEMPLATE_UNMERGED", default=""),
    "staff_digest": env.str("GOVUK_NOTIFY_TEMPLATE_STAFF_DIGEST", default=""),
}
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

# Logs: one JSON object a line in production (LOG_FORMAT=json), each with the request id that
# follows an item from the web request into the worker (patientview/observability.py).
LOGGING = logging_config(
    fmt=env.str("LOG_FORMAT", default="text"), level=env.str("LOG_LEVEL", default="INFO")
)
# Errors to a Sentry-compatible endpoint when one is configured; off by default.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
sentry_init(SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="production"))
# GET /metrics/ (Prometheus) needs this bearer token; empty: only from the machine itself.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
