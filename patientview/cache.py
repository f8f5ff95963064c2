"""Django's Redis cache, with one client object per connection pool instead of one per call.

Django's ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` around the pool for every
cache call; with redis-py 8 that costs about as much CPU as the call itself (it copies its table of
response callbacks each time). A ``redis.Redis`` is safe to share between threads (it takes a
connection from the pool per command) and the pool reconnects after a fork, so one per pool is
enough. Everything else, keys and values included, is Django's.
"""

from __future__ import annotations

from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class PooledRedisCacheClient(RedisCacheClient):
    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, redis.Redis] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> redis.Redis:
        # Django's private helpers (not in its type stubs): the pool for this call, the class.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(  # type: ignore[attr-defined]
                connection_pool=pool
            )
        return client


class PooledRedisCache(RedisCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = PooledRedisCacheClient

    def redis_client(self) -> redis.Redis:
        """The client that writes, for commands Django's cache API has no word for (INCR+EXPIRE)."""
        client: redis.Redis = self._cache.get_client(write=True)
        return client
