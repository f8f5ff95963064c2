"""The throttle on anonymous submissions: one counter per client address and time window.

DRF's ``ScopedRateThrottle`` keeps a list of every request's time in the window, read and written
back whole on each request (two Redis round trips and a list as long as the rate). Here each
request is one atomic increment of a counter whose key names the window (fixed windows: a client
gets at most the rate in each window, so at most twice the rate across a window boundary). The
rate is still the ``feedback_submit`` entry of ``DEFAULT_THROTTLE_RATES`` (FEEDBACK_SUBMIT_RATE),
per client address as DRF identifies it, and over it the answer is still 429 with Retry-After.

If the counter store (Redis) cannot be reached the request is let through and a warning logged: a
patient's submission matters more than the rate limit, and the submission is saved either way.
"""

from __future__ import annotations

import logging
import math

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from patientview.cache import PooledRedisCache

logger = logging.getLogger(__name__)


def counter_hit(key: str, ttl: int) -> int:
    """Add one to the counter ``key`` (created with this time to live); its new value."""
    cache = caches["default"]
    cache_key = cache.make_and_validate_key(key)
    if isinstance(cache, PooledRedisCache):
        # One round trip, atomic: MULTI INCR EXPIRE EXEC.
        pipe = cache.redis_client().pipeline(transaction=True)
        pipe.incr(cache_key)
        pipe.expire(cache_key, ttl)
        count, _ = pipe.execute()
        return int(count)
    if isinstance(cache, RedisCache):  # Django's own client: INCR and EXPIRE, one each
        client = cache._cache.get_client(cache_key, write=True)
        count = int(client.incr(cache_key))
        client.expire(cache_key, ttl)
        return count
    # Other caches (memory in tests and on a laptop): add, then increment (atomic under its lock).
    cache.add(key, 0, ttl)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between the two calls
        cache.add(key, 0, ttl)
        return int(cache.incr(key))


def submission_window_hit(ident: str, *, scope: str = "feedback_submit") -> float:
    """Count one submission from ``ident`` (a client address) in the scope's current window.

    Returns 0 when it is within the rate, else the seconds until the window ends. The web form's
    final step and the API share the counter, so a script cannot get round the API's limit by
    driving the form. An unreachable counter store lets the submission through (logged).
    """
    throttle = SubmissionRateThrottle()
    throttle.scope = scope
    rate = throttle.get_rate()
    num_requests, duration = throttle.parse_rate(rate)
    if num_requests is None or duration is None:
        return 0.0
    now = throttle.timer()
    window = math.floor(now / duration)
    key = throttle.cache_format % {"scope": scope, "ident": f"{ident}:{duration}:{window}"}
    try:
        count = counter_hit(key, duration + 1)
    except (redis.ConnectionError, redis.TimeoutError):
        logger.warning("throttle counters unavailable; letting the submission through")
        return 0.0
    return 0.0 if count <= num_requests else max(1.0, (window + 1) * duration - now)


class SubmissionRateThrottle(ScopedRateThrottle):
    """The view's ``throttle_scope`` rate per client address, counted in fixed windows."""

    window_end: float = 0.0

    def allow_request(self, request: Request, view: APIView) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        num_requests, duration = self.parse_rate(self.rate)
        if num_requests is None or duration is None:
            return True
        now = self.timer()
        window = math.floor(now / duration)
        self.window_end = (window + 1) * duration
        key = self.cache_format % {
            "scope": self.scope,
            "ident": f"{self.get_ident(request)}:{duration}:{window}",
        }
        try:
            count = counter_hit(key, duration + 1)
        except (redis.ConnectionError, redis.TimeoutError):
            logger.warning("throttle counters unavailable; letting the request through")
            return True
        return count <= num_requests

    def wait(self) -> float:
        return max(0.0, self.window_end - self.timer())
