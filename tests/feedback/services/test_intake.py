import pytest

from feedback.choices import AnalysisState, Channel, Kind, Status
from feedback.errors import InvalidFeedback
from feedback.models import AuditEvent, Feedback, Identity
from feedback.services.intake import feedback_submit


@pytest.mark.django_db
def test_submission_saves_item_identity_apart_and_an_audit_row(trust):
    item = feedback_submit(
        kind=Kind.COMPLAINT,
        text="  Nobody answered the ward phone for two days.  ",
        provider=trust,
        name="Ann Patient",
        email="ann@example.com",
        nhs_number="943 476 5919",
    )
    item.refresh_from_db()
    assert item.text == "Nobody answered the ward phone for two days."
    assert item.status == Status.RECEIVED
    assert item.analysis_state == AnalysisState.QUEUED
    assert item.area == trust.icb
    identity = Identity.objects.get(feedback=item)
    assert identity.name == "Ann Patient"
    assert identity.nhs_number == "9434765919"
    assert "Ann" not in item.text
    assert AuditEvent.objects.filter(feedback=item, action="submitted").count() == 1
    assert len(item.tracking_token) >= 43  # 32 random bytes, base64


@pytest.mark.django_db
def test_anonymous_submission_has_no_identity_row(trust):
    item = feedback_submit(kind=Kind.COMPLIMENT, text="Lovely staff.", provider=trust)
    assert not Identity.objects.filter(feedback=item).exists()


@pytest.mark.django_db
def test_submission_enqueues_analysis_only_after_commit(trust, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        feedback_submit(kind=Kind.CONCERN, text="When is my appointment?", provider=trust)
    assert len(callbacks) == 1


# 943 476 5919, a valid NHS number, in full-width digits (U+FF10 to U+FF19).
FULL_WIDTH_NHS_NUMBER = "".join(chr(0xFF10 + int(d)) for d in "9434765919")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"text": "   "}, "text", "Tell us about your experience."),
        ({"text": "x" * 5001}, "text", "5000 characters or fewer"),
        ({"kind": "rant"}, "kind", "Choose complaint"),
        ({"nhs_number": "9434765918"}, "nhs_number", "valid 10-digit NHS number"),
        ({"nhs_number": "12345"}, "nhs_number", "valid 10-digit NHS number"),
        # The right check digit written in Arabic-Indic or full-width digits is still refused.
        ({"nhs_number": "٩٤٣٤٧٦٥٩١٩"}, "nhs_number", "using the digits 0 to 9"),
        ({"nhs_number": FULL_WIDTH_NHS_NUMBER}, "nhs_number", "using the digits 0 to 9"),
        ({"phone": "abc"}, "phone", "Enter a telephone number"),
        ({"phone": "\U0001f600\U0001f600"}, "phone", "Enter a telephone number"),
        ({"phone": "999"}, "phone", "Enter a telephone number"),
        ({"service_type": "spa"}, "service_type", "Unknown service type"),
        ({"fft_rating": 0}, "fft_rating", "from 1 (very good) to 5 (very poor), or 6"),
        ({"fft_rating": "good"}, "fft_rating", "from 1 (very good) to 5 (very poor), or 6"),
        ({"fft_rating": 7}, "fft_rating", "from 1 (very good) to 5 (very poor), or 6"),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_saved(trust, fields, field, message):
    values = {"kind": Kind.COMPLAINT, "text": "The wait was too long.", "provider": trust} | fields
    with pytest.raises(InvalidFeedback) as caught:
        feedback_submit(**values)
    assert message in caught.value.errors[field]
    assert Feedback.objects.count() == 0
    assert Identity.objects.count() == 0


@pytest.mark.django_db
def test_feedback_naming_no_organisation_is_still_taken(icb):
    # Never a dead end: NHS England's national triage queue assigns it (test_primary_care.py).
    nowhere = feedback_submit(kind=Kind.COMPLAINT, text="My GP surgery never answers.")
    assert nowhere.provider is None and nowhere.area is None
    item = feedback_submit(
        kind=Kind.COMPLAINT, text="My GP surgery never answers.", area=icb, service_type="gp"
    )
    assert item.area == icb and item.provider is None


@pytest.mark.django_db
def test_an_icb_is_not_accepted_as_the_provider(icb):
    with pytest.raises(InvalidFeedback) as caught:
        feedback_submit(kind=Kind.COMPLAINT, text="Hello", provider=icb)
    assert caught.value.errors["provider"] == (
        "Choose an NHS trust, GP practice, dentist or pharmacy."
    )


@pytest.mark.django_db
def test_channel_is_recorded(trust):
    item = feedback_submit(
        kind=Kind.COMPLAINT, text="Phoned in.", provider=trust, channel=Channel.PHONE
    )
    assert item.channel == Channel.PHONE
