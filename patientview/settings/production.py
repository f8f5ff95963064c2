"""Production settings: no default secret, debug off unless asked for, secure transport."""

from typing import Any

from patientview.observability import logging_config

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, DATABASES, env

SECRET_KEY = env.str("DJANGO_SECRET_KEY")

# Keep database connections between requests (as cookiecutter-django does): opening one for each
# request doubled the time of a submission (bench/load.py). Checked before reuse, so a restarted
# database costs one failed check, not an error.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The container's own health check asks for localhost, and Prometheus scrapes "web" over the
# internal network: both allowed whatever the public host is, and neither redirected to HTTPS.
ALLOWED_HOSTS = [*ALLOWED_HOSTS, *env.list("INTERNAL_HOSTS", default=["localhost", "web"])]
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^metrics/$"]
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Attachments: in a folder (MEDIA_ROOT, a volume shared by web and worker in docker-compose.yml)
# unless a bucket is named, then in S3 or an S3-compatible object store through django-storages.
# Objects are private and never linked to: the attachment views stream them to those who may
# see the item (docs/adr/0015). Credentials come the usual boto3 ways (AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY, or the instance's role), never from these settings.
ATTACHMENTS_BUCKET = env.str("ATTACHMENTS_BUCKET", default="")
if ATTACHMENTS_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ATTACHMENTS_BUCKET,
            "location": env.str("ATTACHMENTS_PREFIX", default=""),
            "region_name": env.str("ATTACHMENTS_REGION", default="") or None,
            "endpoint_url": env.str("ATTACHMENTS_ENDPOINT_URL", default="") or None,
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
LOGGING = logging_config(
    fmt=env.str("LOG_FORMAT", default="json"), level=env.str("LOG_LEVEL", default="INFO")
)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
