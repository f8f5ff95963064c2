"""Settings for a laptop: embedded defaults, debug on unless switched off."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Local development only; production reads DJANGO_SECRET_KEY and has no default.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="local-development-key-not-for-production")
# `manage.py demo_security_code` prints a demo account's code: a laptop's convenience only.
DEMO_TOOLS = True
