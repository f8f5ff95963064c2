"""Pseudonymous ids: stable across exports of one deployment, different in another."""

import pytest
from django.test import override_settings

from analytics.pseudonym import PSEUDONYM_HEX_CHARS, pseudonym_for, pseudonym_key, pseudonymiser
from tests.analytics.regulator import client_for, issue, item, reset_throttles

pytestmark = pytest.mark.django_db


def _export(plain):
    reset_throttles()
    rows = client_for(plain).get("/api/v1/exports/feedback/").json()["results"]
    return sorted(row["id"] for row in rows)


def test_the_same_items_have_the_same_ids_in_every_export_and_for_every_client(trust, cqc):
    items = [item(provider=trust, handled_by=trust) for _ in range(3)]
    _, cqc_plain = issue(cqc)
    _, trust_plain = issue(trust)
    first = _export(cqc_plain)
    assert first == _export(cqc_plain) == _export(trust_plain)
    assert first == sorted(pseudonym_for(i.pk) for i in items)
    assert all(len(i) == PSEUDONYM_HEX_CHARS for i in first)
    assert len(set(first)) == 3


def test_another_deployment_key_gives_other_ids(trust, cqc):
    item(provider=trust, handled_by=trust)
    _, plain = issue(cqc)
    with override_settings(PSEUDONYM_KEY="deployment-a"):
        a = _export(plain)
        assert a == _export(plain)
    with override_settings(PSEUDONYM_KEY="deployment-b"):
        b = _export(plain)
    assert a != b
    assert not set(a) & set(b)


def test_without_a_configured_key_it_is_derived_from_the_secret_key():
    with override_settings(PSEUDONYM_KEY="", SECRET_KEY="one-secret"):
        one = pseudonym_for(42)
        key = pseudonym_key()
    with override_settings(PSEUDONYM_KEY="", SECRET_KEY="another-secret"):
        other = pseudonym_for(42)
    assert one != other
    assert key != b"one-secret"  # derived, not the secret itself


def test_ids_do_not_reveal_the_key_order():
    pseudonym = pseudonymiser(b"k")
    ids = [pseudonym(n) for n in range(1, 200)]
    assert ids != sorted(ids)
    assert len(set(ids)) == len(ids)
    assert pseudonym(1) == pseudonymiser(b"k")(1)


@pytest.mark.parametrize("key", [b"", b"k", b"x" * 64, b"y" * 65, b"z" * 200])
def test_the_id_is_the_hmac_sha256_of_the_item(key):
    import hashlib
    import hmac

    pseudonym = pseudonymiser(key)
    for pk in (0, 1, 42, 10**12):
        mac = hmac.new(key, b"feedback:%d" % pk, hashlib.sha256).hexdigest()
        assert pseudonym(pk) == mac[:PSEUDONYM_HEX_CHARS]
