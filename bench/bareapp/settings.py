"""Production settings plus the bench-only bare endpoint: bench/load.py runs gunicorn with these."""

from patientview.settings.production import *  # noqa: F403
from patientview.settings.production import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.bareapp.apps.BareAppConfig"]
ROOT_URLCONF = "bench.bareapp.urls"
