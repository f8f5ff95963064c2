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
import hmac
from collections.abc import Callable

from django.conf import settings

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

    The keyed HMAC state is built once and copied per item: exports call this a million times.
    """
    base = hmac.new(key if key is not None else pseudonym_key(), digestmod=hashlib.sha256)

    def pseudonym(pk: int) -> str:
        mac = base.copy()
        mac.update(b"feedback:%d" % pk)
        return mac.hexdigest()[:PSEUDONYM_HEX_CHARS]

    return pseudonym


def pseudonym_for(pk: int) -> str:
    return pseudonymiser()(pk)
