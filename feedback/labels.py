"""The words people read for the codes the product stores: rules, audit actions, themes, KO41.

Staff pages, emails and the patient's pages show these, never the codes themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from analytics.themes import THEMES
from feedback.choices import (
    TERMINAL_STATUSES,
    CommunicationNeed,
    Relationship,
    RiskCheck,
    RiskFlag,
    Route,
    Status,
)
from feedback.ko41 import Subject

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


# Free help with a complaint and, at the end, the Ombudsman: the words of the patient's pages
# (templates/feedback/_complaint_help.html) and of the acknowledgement email.
COMPLAINT_HELP_HEADING = "Free help to make a complaint"
COMPLAINT_HELP: tuple[str, ...] = (
    "An independent NHS complaints advocate can help you write your complaint, go to meetings "
    "with you and explain the replies. It is free and does not work for the NHS. Your local "
    'council arranges it: search for "NHS complaints advocacy" and the name of your council, or '
    "ask your council's information line.",
    "If you are still not happy at the end, you can ask the Parliamentary and Health Service "
    "Ombudsman to look at your complaint. It is free and independent of the NHS. Call "
    "0345 015 4033 or go to www.ombudsman.org.uk.",
)

# What a patient is told when their feedback goes to the CQC (tracking page and emails alike).
CQC_EXPLAINED: tuple[str, ...] = (
    "We sent your feedback to the Care Quality Commission (CQC), the independent regulator of "
    "health and social care in England, because it may be about someone's safety or about the "
    "Mental Health Act.",
    "The CQC uses what you told us to check that care is safe. It can act on a risk to someone's "
    "safety, for example by inspecting the service or telling the local council's safeguarding "
    "team. It looks into complaints about how the Mental Health Act was used.",
    "The CQC does not investigate or reply to other individual complaints, so you will not get a "
    "reply about your care from it. If you want one, you can also complain to the organisation "
    "that gave the care.",
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
        text = CommunicationNeed(need).label
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
    label = Relationship(relationship).label
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
    sentences: tuple[str, ...]


# The easy read start page (/feedback/easy-read/), in the order it is read.
EASY_READ_START: tuple[EasyRead, ...] = (
    EasyRead(
        "speech",
        (
            "You can tell the NHS about the care you got.",
            "You can tell us what was good.",
            "You can tell us what went wrong.",
            "Telling us what went wrong is called a complaint.",
        ),
    ),
    EasyRead(
        "family",
        (
            "You can tell us about care for someone else too.",
            "For example, your mum, dad or child.",
        ),
    ),
    EasyRead(
        "letter",
        (
            "We send what you tell us to the right NHS team.",
            "This could be your hospital, doctor, dentist or chemist.",
            "They will read it.",
        ),
    ),
    EasyRead(
        "screen",
        (
            "You get a private link to a web page.",
            "The page shows what is happening with what you told us.",
            "Do not give the link to other people.",
        ),
    ),
    EasyRead(
        "clock",
        (
            "It takes about 5 minutes.",
            "You do not have to give your name.",
        ),
    ),
    EasyRead(
        "helper",
        (
            "You can get free help to make a complaint.",
            "This free help is called NHS complaints advocacy.",
            "Your local council can tell you how to get it.",
            "Someone you trust can make the complaint for you.",
        ),
    ),
    EasyRead(
        "danger",
        (
            "This service is not for emergencies.",
            "If someone is in danger now, call 999.",
            "If you need medical help fast, call 111.",
        ),
    ),
)

# The tracking page's status words in easy read: every status a patient can see.
EASY_READ_STATUS: dict[str, EasyRead] = {
    Status.RECEIVED: EasyRead(
        "inbox",
        ("We have got your feedback.", "The team will look at it soon."),
    ),
    Status.ACKNOWLEDGED: EasyRead(
        "tick",
        (
            "The team has read your feedback.",
            "They have told you they got it.",
            "They will now decide what to do.",
        ),
    ),
    Status.INVESTIGATING: EasyRead(
        "search",
        (
            "The team is finding out what happened.",
            "They may talk to the staff who gave the care.",
        ),
    ),
    Status.AWAITING_COMPLAINANT: EasyRead(
        "question",
        (
            "The team needs more information from you.",
            "You can send it using the box on this page.",
            "They will wait for your answer before they carry on.",
        ),
    ),
    Status.RESPONDED: EasyRead(
        "letter",
        (
            "The team has sent you their answer.",
            "If you are not happy with the answer, tell the team.",
        ),
    ),
    Status.CLOSED: EasyRead(
        "finished",
        (
            "The team has finished working on your feedback.",
            "Thank you for telling us.",
        ),
    ),
    Status.WITHDRAWN: EasyRead(
        "stop",
        (
            "You asked us to stop.",
            "The team has stopped working on your feedback.",
        ),
    ),
}

# What else the tracking page tells the patient, in easy read: who has the feedback, and why.
EASY_READ_CHECKING = EasyRead(
    "search",
    (
        "We are finding the right team for your feedback.",
        "This usually takes a few minutes.",
    ),
)
EASY_READ_REROUTED = EasyRead(
    "arrow",
    (
        "We moved your feedback to a different NHS team.",
        "This is the right team to help you.",
    ),
)
EASY_READ_JOINED = EasyRead(
    "joined",
    (
        "We got other feedback about the same thing.",
        "We have put them together.",
        "You will get 1 answer for both.",
        "You do not need to do anything.",
    ),
)
EASY_READ_ROUTE: dict[str, EasyRead] = {
    Route.ICB: EasyRead(
        "building",
        (
            "A local NHS team is looking at your feedback.",
            "This team plans and pays for care in your area.",
            "It is called the integrated care board.",
        ),
    ),
    Route.CQC: EasyRead(
        "shield",
        (
            "We sent your feedback to the Care Quality Commission.",
            "The Care Quality Commission checks that care is safe.",
            "It may visit the place that gave the care.",
            "It does not write back to you about your care.",
            "To get an answer, you can also complain to the place that gave the care.",
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
