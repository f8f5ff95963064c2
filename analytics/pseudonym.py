"""Stable pseudonymous ids for exported items: HMAC-SHA256 of the item under a deployment's key.

The same item gets the same id in every export of one deployment (so an analyst can join this
month's file to last month's), a different id in another deployment (so files from two deployments
cannot be joined), and without the key the id says nothing about the item's row in our database.
The key is ``PSEUDONYM_KEY`` from the environment; when it is not set it is derived from
``SECRET_KEY``, which is secret per deployment too (but rotating that would change every id, so
production should set its own).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings

_INNER_PAD = bytes(x ^ 0x36 for x in range(256))
_OUTER_PAD = bytes(x ^ 0x5C for x in range(256))
# 128 bits of the MAC: collisions are out of reach for any number of items we will hold.
PSEUDONYM_HEX_CHARS = 32


def pseudonym_key() -> bytes:
    configured: str = getattr(settings, "PSEUDONYM_KEY", "") or ""
    if configured:
        return configured.encode()
    # Domain-separated, so the derived key is useless for anything SECRET_KEY signs.
    return hashlib.sha256(b"patientview-pseudonym-v1:" + settings.SECRET_KEY.encode()).digest()


def pseudonymiser(key: bytes | None = None) -> Callable[[int], str]:
    """A function from an item's primary key to its pseudonymous id, for one export.

    HMAC-SHA256 (RFC 2104) with the key's inner and outer pads hashed once: each item then costs
    two copies of a prepared SHA-256 state, which is what exports of a million rows need.
    The result is exactly ``hmac.new(key, b"feedback:<pk>", sha256)``.
    """
    key = key if key is not None else pseudonym_key()
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner_copy = hashlib.sha256(key.translate(_INNER_PAD)).copy
    outer_copy = hashlib.sha256(key.translate(_OUTER_PAD)).copy

    def pseudonym(pk: int) -> str:
        inner = inner_copy()
        inner.update(b"feedback:%d" % pk)
        outer = outer_copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:PSEUDONYM_HEX_CHARS]

    return pseudonym


def pseudonym_for(pk: int) -> str:
    return pseudonymiser()(pk)
