"""The shared cache (Redis) that degrades instead of failing pages.

The cache holds counters for rate limits (ours and allauth's) and little else: when Redis is slow or down,
a read is a miss, a write is skipped and a counter starts again, so a shopper can still sign in, see orders
and submit a request (the limits fail open for a while; requests are deduplicated in the database anyway).
What must fail closed (mailing a lookup code) asks `failures_during` whether the cache answered. Every
call is bounded by the short socket timeouts in settings (`CACHES["default"]["OPTIONS"]`)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)
_LOG_EVERY_SECONDS = 30.0
_state = threading.local()
_last_logged = 0.0


def _failed(operation: str, error: Exception) -> None:
    global _last_logged
    _state.failures = getattr(_state, "failures", 0) + 1
    now = time.monotonic()
    if now - _last_logged > _LOG_EVERY_SECONDS:  # one line per half-minute of outage, not one per call
        _last_logged = now
        logger.warning("cache unavailable (%s on %s): degrading", type(error).__name__, operation)


@contextmanager
def failures_during() -> Iterator[Callable[[], bool]]:
    """`with failures_during() as failed: …; if failed(): …` tells whether a cache call failed inside."""
    before = getattr(_state, "failures", 0)
    yield lambda: getattr(_state, "failures", 0) != before


def _guard(default: Any, operation: str):
    def decorate(method):
        def guarded(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except (redis.RedisError, OSError) as error:
                _failed(operation, error)
                return default() if callable(default) else default

        return guarded

    return decorate


def _no_counter(*_args: Any) -> int:
    raise ValueError("the cache is unavailable")  # django-ratelimit then starts the count again


class ResilientRedisCache(RedisCache):
    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except (redis.RedisError, OSError) as error:
            _failed("get", error)
            return default

    get_many = _guard(dict, "get_many")(RedisCache.get_many)
    # `add` answering True lets a rate limit count this request as the first of its window.
    add = _guard(True, "add")(RedisCache.add)
    set = _guard(None, "set")(RedisCache.set)
    set_many = _guard(list, "set_many")(RedisCache.set_many)
    touch = _guard(False, "touch")(RedisCache.touch)
    delete = _guard(False, "delete")(RedisCache.delete)
    delete_many = _guard(None, "delete_many")(RedisCache.delete_many)
    has_key = _guard(False, "has_key")(RedisCache.has_key)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except (redis.RedisError, OSError) as error:
            _failed("incr", error)
            return _no_counter()
