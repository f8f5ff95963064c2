"""The Celery application: configuration from Django settings (CELERY_*), tasks from the apps."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patientview.settings.local")
# The model is loaded from the installed package, never fetched from a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

app = Celery("patientview")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from patientview.observability import connect_celery  # noqa: E402  (after the app exists)

connect_celery(app)
