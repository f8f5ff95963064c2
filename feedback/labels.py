"""The words people read for the codes the product stores: rules, audit actions, themes, KO41.

Staff pages, emails and the patient's pages show these, never the codes themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from analytics.themes import THEMES
from feedback.choices import (
    TERMINAL_STATUSES,
    CommunicationNeed,
    FftRating,
    Kind,
    PatientAge,
    Relationship,
    RiskCheck,
    RiskFlag,
    Route,
    SafetyAnswer,
    ServiceType,
    Status,
)
from feedback.ko41 import Subject

# Words a patient reads: translated (gettext_lazy) into the language of the page or email.
if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise as Text
else:
    Text = str

ROUTE_RULES: dict[str, str] = {
    "cqc_patient_answer": "CQC: the patient said someone is at risk of harm or detained",
    "cqc_safeguarding": "CQC: a safeguarding concern",
    "cqc_mental_health_act": "CQC: the use of Mental Health Act powers",
    "cqc_serious_risk": "CQC: a serious risk to people's safety",
    "icb_primary_care": "ICB: primary care (GP, dentist, pharmacy or optician)",
    "icb_commissioning": "ICB: commissioning or funding",
    "icb_patient_request": "ICB: the patient asked for the commissioner",
    "icb_no_provider": "ICB: no NHS trust named",
    "national_triage": "NHS England triage: no organisation or area could be found",
    "trust_default": "NHS trust: care at the trust named",
    "rerouted": "Rerouted by staff",
}

AUDIT_ACTIONS: dict[str, str] = {
    "submitted": "Received",
    "area_from_place": "Area found from the postcode or town the patient gave",
    "analysed": "Read by the model",
    "analysed_rules_only": "Routed by rules alone (model unavailable)",
    "routed": "Sent to a queue",
    "status_changed": "Status changed",
    "assigned": "Assigned",
    "rerouted": "Rerouted",
    "deadline_agreed": "Response date agreed with the complainant",
    "identity_viewed": "Contact details viewed",
    "risk_check_confirmed": "Possible risk confirmed and sent to the CQC",
    "risk_check_dismissed": "Possible risk dismissed",
    "sentiment_corrected": "Sentiment corrected",
    "themes_corrected": "Themes corrected",
    "attachment_added": "File attached",
    "attachment_downloaded": "Attached file downloaded",
    "fft_upload_received": "FFT export uploaded",
    "fft_upload_checking": "FFT export being checked",
    "fft_upload_saving": "FFT export being saved",
    "fft_upload_done": "FFT export saved",
    "fft_upload_rejected": "FFT export refused: nothing saved",
    "fft_upload_failed": "FFT export failed",
    "fft_upload_queued": "FFT export queued again",
    "linked": "Linked to another item",
    "merged": "Merged into another item and closed as a duplicate",
    "duplicate_merged": "Another item merged into this one as a duplicate",
    "unmerged": "Merge undone: reopened in the queue",
    "duplicate_unmerged": "Merge of another item into this one undone",
    "duplicate_reopened": "Item merged into this one reopened in the queue",
    "unlinked": "Link to another item removed",
    "response_shared": "Final response of the item it was merged into sent to the complainant",
    "joint_partner_invited": "Partner organisation invited (joint complaint)",
    "joint_partner_removed": "Partner organisation removed (joint complaint)",
    "joint_findings_added": "Partner's part of the findings added",
    "joint_findings_changed": "Partner's part of the findings changed",
}

THEME_LABELS: dict[str, str] = {t.slug: t.label for t in THEMES}
SUBJECT_LABELS: dict[str, str] = dict(Subject.choices)
CHECK_FLAG_LABELS: dict[str, str] = {
    RiskFlag.SAFEGUARDING.value: "Possible safeguarding concern",
    RiskFlag.MENTAL_HEALTH_ACT.value: "Possible Mental Health Act concern",
    RiskFlag.SERIOUS_RISK.value: "Possible serious risk to safety",
    "patient_unsure": "The patient was not sure if anyone is at risk",
    "unread_language": "Not read for risks: written in a language the reader cannot read",
}
STATUS_LABELS: dict[str, str] = dict(Status.choices)
# The types an attachment may be (feedback/services/attachments.py), as people call them.
ATTACHMENT_TYPE_LABELS: dict[str, str] = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "text/plain": "Plain text",
}
RISK_CHECK_LABELS: dict[str, str] = dict(RiskCheck.choices)


def label(table: dict[str, str], code: str) -> str:
    """The words for ``code``, or the code made readable when the table has none."""
    return table.get(code) or code.replace("_", " ").capitalize()


# The words the patient's pages and emails use for the choices they see, in the page's language.
# The English is the choices' own (feedback/choices.py, analytics/ml/vocabulary.py): staff pages,
# exports and the API keep those; tests/feedback/test_labels_translated.py holds them together.
KIND_LABELS: dict[str, Text] = {
    Kind.COMPLAINT: _("Complaint"),
    Kind.CONCERN: _("Concern"),
    Kind.COMPLIMENT: _("Compliment"),
    Kind.SUGGESTION: _("Suggestion"),
}
SERVICE_TYPE_LABELS: dict[str, Text] = {
    ServiceType.ACUTE: _("Hospital (acute)"),
    ServiceType.MENTAL_HEALTH: _("Mental health service"),
    ServiceType.COMMUNITY: _("Community health service"),
    ServiceType.AMBULANCE: _("Ambulance"),
    ServiceType.NHS_111: _("NHS 111"),
    ServiceType.PATIENT_TRANSPORT: _("Patient transport"),
    ServiceType.GP: _("GP practice"),
    ServiceType.DENTAL: _("Dentist"),
    ServiceType.PHARMACY: _("Pharmacy"),
    ServiceType.OPTOMETRY: _("Optician"),
}
FFT_QUESTION_TEXT: Text = _("Overall, how was your experience of our service?")
FFT_RATING_LABELS: dict[int, Text] = {
    FftRating.VERY_GOOD: _("Very good"),
    FftRating.GOOD: _("Good"),
    FftRating.NEITHER: _("Neither good nor poor"),
    FftRating.POOR: _("Poor"),
    FftRating.VERY_POOR: _("Very poor"),
    FftRating.DONT_KNOW: _("Don't know"),
}
SAFETY_ANSWER_LABELS: dict[str, Text] = {
    SafetyAnswer.HARM: _("Yes, someone is being harmed or is at risk of harm"),
    SafetyAnswer.DETAINED: _("Yes, it is about being detained under the Mental Health Act"),
    SafetyAnswer.NO: _("No"),
    SafetyAnswer.UNSURE: _("I'm not sure"),
}
PATIENT_AGE_LABELS: dict[str, Text] = {
    PatientAge.UNDER_18: _("Under 18"),
    PatientAge.ADULT: _("18 to 64"),
    PatientAge.OLDER: _("65 or over"),
}
COMMUNICATION_NEED_LABELS: dict[str, Text] = {
    CommunicationNeed.EASY_READ: _("Easy read"),
    CommunicationNeed.LARGE_PRINT: _("Large print"),
    CommunicationNeed.BRAILLE: _("Braille"),
    CommunicationNeed.AUDIO: _("Audio"),
    CommunicationNeed.BSL: _("British Sign Language (BSL)"),
    CommunicationNeed.INTERPRETER: _("An interpreter"),
}
RELATIONSHIP_LABELS: dict[str, Text] = {
    Relationship.PARENT: _("Parent or guardian"),
    Relationship.PARTNER: _("Partner, husband or wife"),
    Relationship.CHILD: _("Son or daughter"),
    Relationship.RELATIVE: _("Another relative"),
    Relationship.FRIEND: _("Friend"),
    Relationship.CARER: _("Carer"),
    Relationship.ADVOCATE: _("Advocate"),
    Relationship.OTHER: _("Someone else"),
}
# The statuses as the patient's pages and emails name them (and the status tag on staff pages,
# in English there).
STATUS_TEXT: dict[str, Text] = {
    Status.RECEIVED: _("Received"),
    Status.ACKNOWLEDGED: _("Acknowledged"),
    Status.INVESTIGATING: _("Investigating"),
    Status.AWAITING_COMPLAINANT: _("Awaiting complainant"),
    Status.RESPONDED: _("Responded"),
    Status.CLOSED: _("Closed"),
    Status.WITHDRAWN: _("Withdrawn"),
}


def choices(enum: type[models.Choices], words: dict) -> list[tuple[str, Text]]:
    """A form's choices for ``enum``, in its order, with the patient's words for each."""
    return [(str(value), words[value]) for value in enum.values]


def kind_text(kind: str) -> str:
    """A kind in the active language, inside a sentence: "complaint", "cwyn"."""
    return str(KIND_LABELS.get(kind, kind)).lower()


# Free help with a complaint and, at the end, the Ombudsman: the words of the patient's pages
# (templates/feedback/_complaint_help.html) and of the acknowledgement email.
COMPLAINT_HELP_HEADING: Text = _("Free help to make a complaint")
COMPLAINT_HELP: tuple[Text, ...] = (
    _(
        "An independent NHS complaints advocate can help you write your complaint, go to meetings "
        "with you and explain the replies. It is free and does not work for the NHS. Your local "
        'council arranges it: search for "NHS complaints advocacy" and the name of your council, '
        "or ask your council's information line."
    ),
    _(
        "If you are still not happy at the end, you can ask the Parliamentary and Health Service "
        "Ombudsman to look at your complaint. It is free and independent of the NHS. Call 0345 "
        "015 4033 or go to www.ombudsman.org.uk."
    ),
)

# What a patient is told when their feedback goes to the CQC (tracking page and emails alike).
CQC_EXPLAINED: tuple[Text, ...] = (
    _(
        "We sent your feedback to the Care Quality Commission (CQC), the independent regulator of "
        "health and social care in England, because it may be about someone's safety or about the "
        "Mental Health Act."
    ),
    _(
        "The CQC uses what you told us to check that care is safe. It can act on a risk to "
        "someone's safety, for example by inspecting the service or telling the local council's "
        "safeguarding team. It looks into complaints about how the Mental Health Act was used."
    ),
    _(
        "The CQC does not investigate or reply to other individual complaints, so you will not "
        "get a reply about your care from it. If you want one, you can also complain to the "
        "organisation that gave the care."
    ),
)


def communication_needs_text(
    needs: list[str], language: str = "", *, capitalise: bool = True
) -> str:
    """The patient's communication needs in words, the language with the interpreter:
    "Large print, an interpreter (Polish)" ("large print, ..." inside a sentence); "" when there
    are none."""
    words = []
    for need in needs:
        if need not in CommunicationNeed.values:
            continue
        text = str(COMMUNICATION_NEED_LABELS[need])
        if need != CommunicationNeed.BSL:  # a name keeps its capitals
            text = text[0].lower() + text[1:]
        if need == CommunicationNeed.INTERPRETER and language:
            text += f" ({language})"
        words.append(text)
    if not words:
        return ""
    joined = ", ".join(words)
    return joined[0].upper() + joined[1:] if capitalise else joined


def relationship_text(relationship: str, other: str = "") -> str:
    """How the person writing knows the patient, in words: "Parent or guardian", or their own
    words for someone else ("Someone else: neighbour"); "" when not said."""
    if relationship not in Relationship.values:
        return ""
    label = str(RELATIONSHIP_LABELS[relationship])
    return f"{label}: {other}" if relationship == Relationship.OTHER and other else label


# Easy read (NHS, Mencap and Department of Health guidance): one idea a sentence, each sentence
# under 15 words, everyday words, active voice, numbers as digits, a picture beside each point.
# Every easy read sentence of the patient's pages is here, so tests/feedback/test_easy_read.py can
# hold them all to those rules.


@dataclass(frozen=True)
class EasyRead:
    """One easy read point: the picture drawn beside it (templates/feedback/_easy_read_picture.html)
    and its sentences, one idea each."""

    picture: str
    sentences: tuple[Text, ...]


# The easy read start page (/feedback/easy-read/), in the order it is read.
EASY_READ_START: tuple[EasyRead, ...] = (
    EasyRead(
        "speech",
        (
            _("You can tell the NHS about the care you got."),
            _("You can tell us what was good."),
            _("You can tell us what went wrong."),
            _("Telling us what went wrong is called a complaint."),
        ),
    ),
    EasyRead(
        "family",
        (
            _("You can tell us about care for someone else too."),
            _("For example, your mum, dad or child."),
        ),
    ),
    EasyRead(
        "letter",
        (
            _("We send what you tell us to the right NHS team."),
            _("This could be your hospital, doctor, dentist or chemist."),
            _("They will read it."),
        ),
    ),
    EasyRead(
        "screen",
        (
            _("You get a private link to a web page."),
            _("The page shows what is happening with what you told us."),
            _("Do not give the link to other people."),
        ),
    ),
    EasyRead(
        "clock",
        (
            _("It takes about 5 minutes."),
            _("You do not have to give your name."),
        ),
    ),
    EasyRead(
        "helper",
        (
            _("You can get free help to make a complaint."),
            _("This free help is called NHS complaints advocacy."),
            _("Your local council can tell you how to get it."),
            _("Someone you trust can make the complaint for you."),
        ),
    ),
    EasyRead(
        "danger",
        (
            _("This service is not for emergencies."),
            _("If someone is in danger now, call 999."),
            _("If you need medical help fast, call 111."),
        ),
    ),
)

# The tracking page's status words in easy read: every status a patient can see.
EASY_READ_STATUS: dict[str, EasyRead] = {
    Status.RECEIVED: EasyRead(
        "inbox",
        (_("We have got your feedback."), _("The team will look at it soon.")),
    ),
    Status.ACKNOWLEDGED: EasyRead(
        "tick",
        (
            _("The team has read your feedback."),
            _("They have told you they got it."),
            _("They will now decide what to do."),
        ),
    ),
    Status.INVESTIGATING: EasyRead(
        "search",
        (
            _("The team is finding out what happened."),
            _("They may talk to the staff who gave the care."),
        ),
    ),
    Status.AWAITING_COMPLAINANT: EasyRead(
        "question",
        (
            _("The team needs more information from you."),
            _("You can send it using the box on this page."),
            _("They will wait for your answer before they carry on."),
        ),
    ),
    Status.RESPONDED: EasyRead(
        "letter",
        (
            _("The team has sent you their answer."),
            _("If you are not happy with the answer, tell the team."),
        ),
    ),
    Status.CLOSED: EasyRead(
        "finished",
        (
            _("The team has finished working on your feedback."),
            _("Thank you for telling us."),
        ),
    ),
    Status.WITHDRAWN: EasyRead(
        "stop",
        (
            _("You asked us to stop."),
            _("The team has stopped working on your feedback."),
        ),
    ),
}

# What else the tracking page tells the patient, in easy read: who has the feedback, and why.
EASY_READ_CHECKING = EasyRead(
    "search",
    (
        _("We are finding the right team for your feedback."),
        _("This usually takes a few minutes."),
    ),
)
EASY_READ_REROUTED = EasyRead(
    "arrow",
    (
        _("We moved your feedback to a different NHS team."),
        _("This is the right team to help you."),
    ),
)
EASY_READ_JOINED = EasyRead(
    "joined",
    (
        _("We got other feedback about the same thing."),
        _("We have put them together."),
        _("You will get 1 answer for both."),
        _("You do not need to do anything."),
    ),
)
EASY_READ_ROUTE: dict[str, EasyRead] = {
    Route.ICB: EasyRead(
        "building",
        (
            _("A local NHS team is looking at your feedback."),
            _("This team plans and pays for care in your area."),
            _("It is called the integrated care board."),
        ),
    ),
    Route.CQC: EasyRead(
        "shield",
        (
            _("We sent your feedback to the Care Quality Commission."),
            _("The Care Quality Commission checks that care is safe."),
            _("It may visit the place that gave the care."),
            _("It does not write back to you about your care."),
            _("To get an answer, you can also complain to the place that gave the care."),
        ),
    ),
}


def easy_read_tracking(
    *, status: str, route: str, route_rule: str, has_handler: bool, merged: bool
) -> list[EasyRead]:
    """The easy read points for what the tracking page shows about an item, in reading order:
    who has it, where it stands, and what that organisation does."""
    points = []
    if not has_handler:
        points.append(EASY_READ_CHECKING)
    elif route_rule == "rerouted" and status not in TERMINAL_STATUSES:
        points.append(EASY_READ_REROUTED)
    # A merged item is closed as a duplicate before its answer: "finished" would mislead.
    points.append(EASY_READ_JOINED if merged else EASY_READ_STATUS[status])
    if has_handler and route in EASY_READ_ROUTE:
        points.append(EASY_READ_ROUTE[route])
    return points


def easy_read_all() -> list[EasyRead]:
    """Every easy read point the patient's pages can show."""
    return [
        *EASY_READ_START,
        *EASY_READ_STATUS.values(),
        EASY_READ_CHECKING,
        EASY_READ_REROUTED,
        EASY_READ_JOINED,
        *EASY_READ_ROUTE.values(),
    ]
