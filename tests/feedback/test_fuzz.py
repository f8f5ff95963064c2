"""Fuzzing the public ways in: POST /api/v1/feedback/ and every page of the web form.

Hypothesis generates adversarial text (null bytes, C0 and C1 control characters, very long words,
emoji, Welsh, right-to-left text, HTML, script and template syntax), random JSON structures,
malformed and deeply nested bodies, raw bytes under any content type, and lone surrogates in JSON
escapes. Whatever comes in, the answer is never a 5xx: valid feedback is saved with its text as
written (less control characters and surrounding blank space, which carry no meaning) and shown
escaped; invalid input is a 400 (API) or the page again (form) naming the field at fault.

The suite runs a few hundred examples per property (well under a minute). ``bench/fuzz.py`` runs
the same properties with FUZZ_SCALE times as many examples and reports the counts.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.test import Client
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from feedback.choices import Kind, ServiceType
from feedback.forms import SERVICE_TYPE_UNSURE, STEPS
from feedback.models import Feedback, Identity
from feedback.views import step_form_for_answers
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SCALE = max(1, int(os.environ.get("FUZZ_SCALE", "1")))
LIMIT = 5000
API = "/api/v1/feedback/"
FIELDS = {
    "kind", "text", "provider", "area", "service_type", "wants_commissioner", "question",
    "fft_rating", "name", "email", "phone", "nhs_number",
}  # fmt: skip
# Per-field length limits of the optional free-text fields (the serializer's and the form's).
OPTIONAL_LIMITS = {"name": 200, "phone": 30, "question": 300}
GOOD_PHONES = ["", "07700 900 982", "+44 808 157 0192", "(020) 7946 0958", "0113-496-0000"]
BAD_PHONES = ["abc", "\U0001f600\U0001f600", "999", "0" * 40, "07700\x00900982", "call me"]

# What was sent and what came back, per target: bench/fuzz.py reports these.
STATS: Counter[str] = Counter()


def fuzz_settings(examples: int) -> Any:
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture(scope="module", autouse=True)
def report_counts() -> Iterator[None]:
    yield
    report = os.environ.get("FUZZ_REPORT")
    if report:
        path = Path(report)
        old = json.loads(path.read_text()) if path.exists() else {}
        for key, n in STATS.items():
            old[key] = old.get(key, 0) + n
        path.write_text(json.dumps(old, indent=1, sort_keys=True))


def record(target: str, status: int) -> None:
    STATS[f"{target} {status}"] += 1
    assert status < 500, f"{target} answered {status}"


# --- Strategies ----------------------------------------------------------------------------------

FRAGMENTS = [
    "Gwasanaeth ardderchog, diolch yn fawr i'r nyrsys ar ward 4. ",  # Welsh
    "Ŵyr, ŷd, Llŷn, Dŵr ",
    "الخدمة كانت سيئة جداً والانتظار طويل",  # Arabic, right to left
    "השירות היה מצוין",  # Hebrew
    "\u202eesrever\u202c \u200f\u200e",  # bidirectional overrides and marks
    "👍🏽❤️‍🔥 👨‍👩‍👧 🏴󠁧󠁢󠁷󠁬󠁳󠁿",  # skin tone, ZWJ sequences, the Welsh flag's tag characters
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "&amp; &lt;b&gt; &#x27;",
    "{{ request.user }} {% csrf_token %} ${7*7}",
    "'; DROP TABLE feedback_feedback; --",
    '=HYPERLINK("http://example.com")',
    "\x00",
    "\x07\x1b[31m\x7f\x85\x9b",
    "\r\n",
    "\u2028\u2029",
    "\ufeff\u200b",
    " \t ",
    "e\u0301\u0301\u0301 Z\u0337\u0351\u0362",  # combining marks
]
long_words = st.integers(min_value=500, max_value=LIMIT + 200).map(lambda n: "x" * n)
texts = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40), long_words),
    max_size=6,
).map("".join)
short_texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=4).map(
    "".join
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def as_stored(sent: str) -> str:
    """What the service keeps of a text: no control characters other than tab and newlines, CRLF
    as LF, no blank space around it. Written out here, not imported, so the test is independent.
    """
    kept = "".join(ch for ch in sent.strip() if unicodedata.category(ch) != "Cc" or ch in "\t\n\r")
    return kept.replace("\r\n", "\n").strip()


def text_error(sent: str) -> bool:
    stripped = sent.strip()
    return "\x00" in sent or not stripped or len(stripped) > LIMIT or not as_stored(sent)


def shown_escaped(text: str, content: str) -> None:
    """Every line of the text is on the page HTML-escaped, and no markup from it is live."""
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        assert escape(line) in content
    if "<script>alert('x')</script>" in text:
        assert "<script>alert('x')</script>" not in content
        assert '<img src=x onerror="alert(1)">' not in content.replace("'", '"')


# --- The API -------------------------------------------------------------------------------------


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def handler(trust):
    return UserFactory(organisation=trust)


def post(api: APIClient, target: str, body: bytes | str, content_type: str, **extra: Any):
    cache.clear()  # the throttle has its own test
    response = api.generic("POST", API, body, content_type=content_type, **extra)
    record(target, response.status_code)
    return response


@given(
    kind=st.sampled_from(Kind.values),
    text=texts,
    extra=st.fixed_dictionaries(
        {},
        optional={
            "area": st.just("QMJ"),
            "service_type": st.sampled_from(["", *ServiceType.values]),
            "wants_commissioner": st.booleans(),
            "question": short_texts,
            "fft_rating": st.one_of(st.integers(-2, 9), st.none(), st.sampled_from(["3", "x"])),
            "name": short_texts,
            "phone": st.sampled_from([*GOOD_PHONES, *BAD_PHONES]),
            "email": st.sampled_from(["", "pat@example.com", "rhys.ap.dafydd@example.cymru"]),
            "nhs_number": st.sampled_from(["", "943 476 5919", "943-476-5919", "9434765919"]),
        },
    ),
)
@fuzz_settings(120)
def test_api_saves_any_text_as_written_or_names_the_field_at_fault(
    api, trust, icb, handler, kind, text, extra
):
    body = {"kind": kind, "text": text, "provider": trust.ods_code, **extra}
    response = post(api, "api: text and fields", json.dumps(body), "application/json")
    expected_errors = {"text"} if text_error(text) else set()
    for field, limit in OPTIONAL_LIMITS.items():
        value = extra.get(field, "")
        if "\x00" in value or len(value.strip()) > limit:
            expected_errors.add(field)
    rating = extra.get("fft_rating")
    if rating is not None and str(rating) not in {"1", "2", "3", "4", "5", "6"}:
        expected_errors.add("fft_rating")
    if extra.get("phone") in BAD_PHONES:
        expected_errors.add("phone")
    if expected_errors:
        assert response.status_code == 400, response.content
        errors = response.json()
        assert set(errors) == expected_errors
        assert all(isinstance(m, str) and m for messages in errors.values() for m in messages)
        if len(text.strip()) > LIMIT and "\x00" not in text:
            assert str(LIMIT) in errors["text"][0]
        return
    assert response.status_code == 201, response.content
    item = Feedback.objects.get(pk=response.json()["id"])
    assert item.text == as_stored(text)
    assert item.fft_rating == (int(rating) if rating is not None else None)
    if extra.get("name", "").strip():
        assert Identity.objects.get(feedback=item).name == extra["name"].strip()
    # Staff read it on the item page: escaped, line breaks kept.
    Feedback.objects.filter(pk=item.pk).update(handled_by=trust)
    staff = Client()
    staff.force_login(handler)
    page = staff.get(f"/staff/items/{item.pk}/")
    record("staff item page", page.status_code)
    shown_escaped(item.text, page.content.decode())


@given(body=st.one_of(json_values, st.dictionaries(st.sampled_from(sorted(FIELDS)), json_values)))
@fuzz_settings(120)
def test_api_answers_random_json_structures_with_4xx_naming_fields(api, trust, body):
    response = post(api, "api: random JSON", json.dumps(body), "application/json")
    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        errors = response.json()
        assert set(errors) <= FIELDS | {"non_field_errors"}, errors
    else:
        assert Feedback.objects.filter(pk=response.json()["id"]).exists()


CONTENT_TYPES = [
    "application/json",
    "application/json; charset=latin-1",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=xyz",
    "application/xml",
    "",
    "*/*",
    "application/json\x00",
]


@given(
    body=st.one_of(
        st.binary(max_size=3000),
        st.text(max_size=500).map(str.encode),
        st.builds(  # JSON nested deeper than the parser's recursion limit, up to about 1 MB
            lambda depth, open_: (open_ * depth).encode(),
            st.integers(min_value=1, max_value=120_000),
            st.sampled_from(["[", '{"a":', '{"text":[']),
        ),
    ),
    content_type=st.sampled_from(CONTENT_TYPES),
)
@fuzz_settings(120)
def test_api_answers_malformed_bodies_and_content_types_with_4xx(api, trust, body, content_type):
    response = post(api, "api: raw bodies", body, content_type)
    assert response.status_code in (201, 400, 413, 415), response.content[:200]


ESCAPES = ["\\ud800", "\\udfff", "\\ud83d\\ude00", "\\u0000", "\\u202e", "\\n", '\\"', "Hwyl"]


@given(
    field=st.sampled_from(["text", "name", "question", "phone"]),
    pieces=st.lists(st.sampled_from(ESCAPES), min_size=1, max_size=6),
)
@fuzz_settings(60)
def test_api_refuses_lone_surrogates_in_json_escapes_by_field(api, trust, field, pieces):
    literal = "".join(pieces)
    body = {"kind": "concern", "text": "Good care.", "provider": trust.ods_code}
    raw = json.dumps(body)[:-1] + f', "{field}": "{literal}"}}'
    response = post(api, "api: JSON escapes", raw.encode(), "application/json")
    decoded = json.loads(f'"{literal}"')
    bad = any(0xD800 <= ord(c) <= 0xDFFF for c in decoded) or "\x00" in decoded
    if not bad and field == "text":
        bad = text_error(decoded)
    if field == "phone":  # only digits and separators make a telephone number
        bad = bad or decoded.strip() != ""
    if bad:
        assert response.status_code == 400
        assert set(response.json()) == {field}
    else:
        assert response.status_code == 201, response.content


@given(key=st.text(alphabet=st.characters(max_codepoint=0xFF, exclude_characters="\r\n")))
@fuzz_settings(60)
def test_api_idempotency_keys_are_used_or_refused_by_name(api, trust, key):
    body = json.dumps({"kind": "compliment", "text": "Thank you.", "provider": trust.ods_code})
    first = post(api, "api: Idempotency-Key", body, "application/json", HTTP_IDEMPOTENCY_KEY=key)
    if len(key.strip()) > 64 or any(unicodedata.category(ch) == "Cc" for ch in key.strip()):
        assert first.status_code == 400
        assert set(first.json()) == {"Idempotency-Key"}
        return
    assert first.status_code == 201
    second = post(api, "api: Idempotency-Key", body, "application/json", HTTP_IDEMPOTENCY_KEY=key)
    assert second.status_code == 201
    if key.strip():
        assert second.json()["id"] == first.json()["id"]


def test_bodies_just_under_and_over_the_limit(api, trust):
    under = json.dumps({"kind": "complaint", "provider": "RAL", "text": "a" * 1_000_000})
    response = post(api, "api: huge bodies", under, "application/json")
    assert response.status_code == 400
    assert "5000" in response.json()["text"][0]
    response = post(api, "api: huge bodies", "a" * (1024 * 1024 + 1), "application/json")
    assert response.status_code == 413
    assert Feedback.objects.count() == 0


# --- The API against its own schema (schemathesis) -----------------------------------------------


@pytest.fixture
def public_schema(transactional_db):
    from patientview.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/", application).include(
        path_regex=r"^/api/v1/(feedback|tracking/\{token\})/$"
    )


@pytest.mark.parametrize(
    ("path", "method", "mode"),
    [
        (API, "POST", GenerationMode.POSITIVE),
        (API, "POST", GenerationMode.NEGATIVE),  # bodies that break the schema on purpose
        # A path parameter that is any string cannot be made invalid: positive only.
        ("/api/v1/tracking/{token}/", "GET", GenerationMode.POSITIVE),
    ],
)
def test_public_api_schema_fuzzing_finds_no_server_error(public_schema, trust, path, method, mode):
    operation = public_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @fuzz_settings(40)
    def no_server_error(case: schemathesis.Case) -> None:
        cache.clear()
        response = case.call_and_validate(checks=[not_a_server_error])
        record(f"schemathesis {method} {path} {mode.value}", response.status_code)

    no_server_error()


# --- The web form, one page at a time ------------------------------------------------------------

STEP_FORMS = dict(STEPS)
STEP_URLS = {
    slug: "/feedback/new/" if slug == "kind" else f"/feedback/new/{slug}/" for slug in STEP_FORMS
}
CHOICES = {
    "kind": Kind.values,
    "service_type": [*ServiceType.values, SERVICE_TYPE_UNSURE],
    "provider": ["RAL", "QMJ", ""],
    "area": ["QMJ", "RAL", ""],
    "wants_commissioner": ["on", "", "true"],
    "fft_rating": ["1", "5", "6", "7", ""],
    "safety_answer": ["harm", "detained", "no", "unsure", "yes", ""],
    "nhs_number": ["943 476 5919", "9434765918", ""],
    "email": ["pat@example.com", "not-an-email", ""],
}


def field_values(name: str) -> st.SearchStrategy[str]:
    if name == "text":
        return texts
    valid = st.sampled_from(CHOICES[name]) if name in CHOICES else st.nothing()
    return st.one_of(valid, short_texts)


def step_data(slug: str) -> st.SearchStrategy[dict[str, str]]:
    names = list(STEP_FORMS[slug].base_fields)
    return st.fixed_dictionaries({}, optional={name: field_values(name) for name in names}).flatmap(
        lambda data: st.dictionaries(st.text(max_size=10), short_texts, max_size=2).map(
            lambda junk: {**junk, **data}
        )
    )


@pytest.mark.parametrize("slug", list(STEP_FORMS))
def test_each_form_page_takes_any_input_or_names_the_field_at_fault(slug, trust, icb):
    @given(data=step_data(slug))
    @fuzz_settings(40)
    def answer(data: dict[str, str]) -> None:
        client = Client()
        response = client.post(STEP_URLS[slug], data)
        record(f"form page {slug}", response.status_code)
        # The page as a patient with no earlier answers sees it (no practice search, no KO41
        # questions for a kind not chosen): what it was sent for those is not taken.
        form = STEP_FORMS[slug](data)
        step_form_for_answers(form, {})
        if form.is_valid():
            assert response.status_code == 302
            return
        assert response.status_code == 200
        content = response.content.decode()
        assert "There is a problem" in content
        for field in form.errors:
            assert re.search(rf'<a href="#{field}">', content), field
            assert f'id="{field}-error"' in content

    answer()


@given(text=texts, name=short_texts)
@fuzz_settings(60)
def test_the_whole_journey_keeps_the_text_as_written_and_shows_it_escaped(
    trust, handler, text, name
):
    client = Client()
    steps = [
        ("kind", {"kind": "complaint"}),
        ("service", {"service_type": "acute"}),
        ("where", {"provider": trust.ods_code, "area": ""}),
        ("experience", {"fft_rating": "5"}),
        ("what-happened", {"text": text}),
        ("safety", {"safety_answer": "no"}),
        ("patient", {"complainant_status": "patient"}),
        ("your-details", {"name": name}),
        ("communication", {}),
    ]
    saved_before = Feedback.objects.count()
    for slug, data in steps:
        response = client.post(STEP_URLS[slug], data)
        record(f"form page {slug}", response.status_code)
        if response.status_code == 200:  # refused: the text, or a name over 200 characters
            assert slug in ("what-happened", "your-details")
            assert slug != "what-happened" or text_error(text)
            assert "There is a problem" in response.content.decode()
            assert Feedback.objects.count() == saved_before
            return
        assert response.status_code == 302
    assert not text_error(text)
    check = client.get("/feedback/new/check/")
    record("form check page", check.status_code)
    assert check.status_code == 200
    shown_escaped(text.strip(), check.content.decode())
    sent = client.post("/feedback/new/check/")
    record("form send", sent.status_code)
    assert sent.status_code == 302, sent.content
    item = Feedback.objects.get(tracking_token=sent["Location"].rstrip("/").split("/")[-1])
    assert item.text == as_stored(text)
    Feedback.objects.filter(pk=item.pk).update(handled_by=trust)
    staff = Client()
    staff.force_login(handler)
    page = staff.get(f"/staff/items/{item.pk}/")
    record("staff item page", page.status_code)
    shown_escaped(item.text, page.content.decode())


PATH_TOKENS = st.one_of(
    st.sampled_from(["%00", "%00abc", "a%00b", "%ED%A0%80", "%FF", "..%2F..", "x" * 300, "%20"]),
    st.text(min_size=1, max_size=80).map(lambda t: urllib.parse.quote(t, safe="")),
)


@pytest.mark.parametrize("prefix", ["/track/", "/api/v1/tracking/", "/feedback/submitted/"])
def test_tracking_links_of_any_shape_are_404_never_500(prefix):
    @given(token=PATH_TOKENS)
    @fuzz_settings(60)
    def visit(token: str) -> None:
        response = Client().get(f"{prefix}{token}/")
        record(f"path {prefix}", response.status_code)
        assert response.status_code == 404, (token, response.status_code)

    visit()
