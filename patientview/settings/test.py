"""Settings for the test suite. DATABASE_URL picks PostgreSQL where it is set."""

from .base import *  # noqa: F403
from .base import DATABASES, VAR_DIR

DEBUG = False
SECRET_KEY = "test-only-key"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Attachments the suite stores go here, never beside a laptop's own (tests that read them back
# point MEDIA_ROOT at a folder of their own).
MEDIA_ROOT = VAR_DIR / "test-uploads"

# The suite submits far more than a patient would; the throttle itself has its own test.
_rates = REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]  # noqa: F405
assert isinstance(_rates, dict)  # noqa: S101
_rates["feedback_submit"] = "100000/minute"

# In-process publishing goes to memory; the integration tests start real web and worker
# processes with the real broker URL.
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that worker processes started by the integration tests see it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
