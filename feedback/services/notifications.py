"""Messages to the patient: scheduled inside the workflow step, sent by Celery after commit, once.

Backends: GOV.UK Notify through its official client when an API key is set; otherwise Django's
email backend (console on a laptop, SMTP by settings).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from feedback.choices import (
    ComplainantStatus,
    Consent,
    Kind,
    NotificationKind,
    NotificationState,
    Route,
)
from feedback.labels import (
    COMPLAINT_HELP,
    COMPLAINT_HELP_HEADING,
    CQC_EXPLAINED,
    Text,
    communication_needs_text,
    kind_text,
)
from feedback.models import Feedback, Identity, Notification

logger = logging.getLogger(__name__)


def _enqueue(notification_id: int) -> None:
    from feedback.tasks import send_notification

    try:
        send_notification.delay(notification_id)
    except Exception:
        # Saved as pending; the periodic sweep sends it once the broker is back.
        logger.warning("could not enqueue notification %s", notification_id, exc_info=True)


def notification_schedule(*, feedback: Feedback, kind: str) -> Notification:
    """Record that the patient is to be told; idempotent per item and kind."""
    email = Identity.objects.filter(feedback=feedback).values_list("email", flat=True).first()
    notification, created = Notification.objects.get_or_create(
        feedback=feedback,
        kind=kind,
        defaults={"state": NotificationState.PENDING if email else NotificationState.SKIPPED},
    )
    if created and notification.state == NotificationState.PENDING:
        transaction.on_commit(lambda: _enqueue(notification.pk))
    return notification


def _tracking_url(item: Feedback) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse(
        "tracking", kwargs={"token": item.tracking_token}
    )


def _date(value: dt.date) -> str:
    """A date as the patient's language writes it: "04 December 2026", "04 Rhagfyr 2026"."""
    return date_format(value, "d F Y")


def _needs(item: Feedback) -> str:
    """What the patient said they need to communicate, said back to them (Accessible
    Information Standard), as a paragraph; "" when they said nothing."""
    needs = communication_needs_text(
        item.communication_needs, item.interpreter_language, capitalise=False
    )
    if not needs:
        return ""
    return (
        gettext(
            "You told us you need: %(needs)s. We have passed this on to the team handling it, so "
            "they can contact you in the way you need."
        )
        % {"needs": needs}
        + "\n\n"
    )


def _on_behalf(item: Feedback) -> str:
    """For someone writing for the patient, what happens about the patient's consent
    (regulation 5), as a paragraph; "" when the patient wrote or consent is not an issue."""
    if item.complainant_status != ComplainantStatus.ON_BEHALF:
        return ""
    if item.consent == Consent.TO_BE_SOUGHT:
        return (
            gettext(
                "You told us you are writing for someone else and will need to ask them. The "
                "team handling it will send you a consent form for the patient to sign. They "
                "wait for it before they reply, and the time they take to reply stops until then."
            )
            + "\n\n"
        )
    return (
        gettext("You told us you are writing for someone else. We will write to you, not to them.")
        + "\n\n"
    )


def _paragraphs(paragraphs: tuple[Text, ...]) -> str:
    return "\n\n".join(str(paragraph) for paragraph in paragraphs)


def _message(notification: Notification) -> tuple[str, str]:
    """The subject and body of a message to the patient, in the language they used
    (``Feedback.language``), whenever it is sent."""
    item = notification.feedback
    with translation.override(item.language or settings.LANGUAGE_CODE):
        return _message_in_language(notification, item)


def _message_in_language(notification: Notification, item: Feedback) -> tuple[str, str]:
    handler = item.handled_by.name if item.handled_by else gettext("the NHS")
    kind = kind_text(item.kind)
    link = _tracking_url(item)
    if notification.kind == NotificationKind.RECEIPT:
        return (
            gettext("We have received your %(kind)s") % {"kind": kind},
            gettext(
                "Thank you. We have received your %(kind)s and will send it to the organisation "
                "that should act on it."
            )
            % {"kind": kind}
            + "\n\n"
            + _needs(item)
            + _on_behalf(item)
            + gettext(
                "Keep this private link. It shows what happens next, and from it you can add "
                "information, answer questions and read the reply: %(link)s"
            )
            % {"link": link}
            + "\n\n"
            + gettext(
                "Do not share the link: anyone who has it can see the progress of your feedback."
            )
            + "\n",
        )
    if notification.kind == NotificationKind.REOPENED:
        due = (
            " " + gettext("They aim to reply by %(date)s.") % {"date": _date(item.response_due)}
            if item.response_due
            else ""
        )
        return (
            gettext("Your %(kind)s has been reopened") % {"kind": kind},
            gettext("%(handler)s has reopened your %(kind)s to look at it again.")
            % {"handler": handler, "kind": kind}
            + due
            + "\n\n"
            + gettext("You can follow its progress here: %(link)s") % {"link": link}
            + "\n",
        )
    if notification.kind == NotificationKind.ACKNOWLEDGEMENT and item.route == Route.CQC:
        return (
            gettext("The Care Quality Commission has received your %(kind)s") % {"kind": kind},
            _paragraphs(CQC_EXPLAINED)
            + "\n\n"
            + _needs(item)
            + gettext("You can follow what happens here: %(link)s") % {"link": link}
            + "\n",
        )
    if notification.kind == NotificationKind.ACKNOWLEDGEMENT:
        due = (
            " "
            + gettext("We aim to send you a full response by %(date)s.")
            % {"date": _date(item.response_due)}
            if item.response_due
            else ""
        )
        # Told again here, by the organisation that will answer (never on the CQC's message).
        help_text = (
            "\n\n" + str(COMPLAINT_HELP_HEADING) + "\n\n" + _paragraphs(COMPLAINT_HELP) + "\n"
            if item.kind in (Kind.COMPLAINT, Kind.CONCERN)
            else ""
        )
        return (
            gettext("We have received your %(kind)s") % {"kind": kind},
            gettext("%(handler)s has received your %(kind)s and is looking into it.")
            % {"handler": handler, "kind": kind}
            + due
            + "\n\n"
            + _needs(item)
            + gettext("You can follow its progress here: %(link)s") % {"link": link}
            + "\n"
            + help_text,
        )
    if notification.kind == NotificationKind.UNMERGED:
        due = (
            " " + gettext("They aim to reply by %(date)s.") % {"date": _date(item.response_due)}
            if item.response_due
            else ""
        )
        return (
            gettext("Your %(kind)s is being looked at on its own again") % {"kind": kind},
            gettext(
                "We told you that %(handler)s had joined your %(kind)s to another about the same "
                "matter. They will not answer them together after all, so they are now looking "
                "into yours on its own."
            )
            % {"handler": handler, "kind": kind}
            + due
            + " "
            + gettext("You do not need to do anything.")
            + "\n\n"
            + gettext("You can follow its progress here: %(link)s") % {"link": link}
            + "\n",
        )
    if notification.kind == NotificationKind.MERGED:
        return (
            gettext("Your %(kind)s has been joined with another") % {"kind": kind},
            gettext(
                "%(handler)s is already looking into another %(kind)s about the same matter, so "
                "they have joined yours to it. You will get one full response, for both, when it "
                "is ready: we will send it to you too. You do not need to do anything."
            )
            % {"handler": handler, "kind": kind}
            + "\n\n"
            + gettext("You can follow its progress here: %(link)s") % {"link": link}
            + "\n",
        )
    # The final response: an item merged into another is sent that item's response.
    answered = item.duplicate_of or item
    joined = (
        gettext(
            "Your %(kind)s was joined to another about the same matter, so this response "
            "answers both."
        )
        % {"kind": kind}
        + "\n\n"
        if answered is not item
        else ""
    )
    late = (
        "\n\n"
        + gettext("Why this took longer than we said: %(reason)s")
        % {"reason": answered.late_reason}
        if answered.late_reason
        else ""
    )
    return (
        gettext("Our response to your %(kind)s") % {"kind": kind},
        f"{joined}{answered.response_text}{late}\n\n"
        + gettext(
            "You can also read this response at %(link)s (we will email you a code to show it "
            "there)."
        )
        % {"link": link}
        + "\n",
    )


def security_code_send(*, feedback: Feedback, email: str, code: str) -> None:
    """Send the code that shows the response on the tracking page, now (it lasts 15 minutes),
    in the language of the page it was asked for from."""
    subject = gettext("Your code to read the response")
    body = (
        gettext(
            "Your code is %(code)s. Enter it on the page where you asked for it to read the "
            "response to your feedback. It lasts 15 minutes."
        )
        % {"code": code}
        + "\n\n"
        + gettext("If you did not ask for a code, you can ignore this email.")
        + "\n"
    )
    if settings.GOVUK_NOTIFY_API_KEY:
        from notifications_python_client.notifications import NotificationsAPIClient

        NotificationsAPIClient(settings.GOVUK_NOTIFY_API_KEY).send_email_notification(
            email_address=email,
            template_id=settings.GOVUK_NOTIFY_TEMPLATES["security_code"],
            personalisation={"subject": subject, "body": body},
            reference=f"feedback-{feedback.pk}-code",
        )
        return
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])


def _deliver(notification: Notification, email: str) -> str:
    subject, body = _message(notification)
    if settings.GOVUK_NOTIFY_API_KEY:
        from notifications_python_client.notifications import NotificationsAPIClient

        client = NotificationsAPIClient(settings.GOVUK_NOTIFY_API_KEY)
        template_id = settings.GOVUK_NOTIFY_TEMPLATES[notification.kind]
        response = client.send_email_notification(
            email_address=email,
            template_id=template_id,
            personalisation={"subject": subject, "body": body},
            reference=f"feedback-{notification.feedback_id}-{notification.kind}",
        )
        return str(response.get("id", ""))
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
    return ""


def notification_send(*, notification_id: int) -> bool:
    """Send one pending notification; True if this call sent it.

    The claim (pending -> sending) makes a redelivered task a no-op. A send that raises goes back
    to pending for a retry; a worker killed mid-send leaves it in ``sending``, which is never
    retried automatically, because sending twice is worse than a handler re-sending by hand.
    """
    claimed = Notification.objects.filter(
        pk=notification_id, state=NotificationState.PENDING
    ).update(state=NotificationState.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1)
    if not claimed:
        return False
    notification = Notification.objects.select_related(
        "feedback__handled_by", "feedback__duplicate_of"
    ).get(pk=notification_id)
    email = (
        Identity.objects.filter(feedback=notification.feedback)
        .values_list("email", flat=True)
        .first()
    )
    if not email:
        Notification.objects.filter(pk=notification_id).update(state=NotificationState.SKIPPED)
        return False
    try:
        reference = _deliver(notification, email)
    except Exception:
        Notification.objects.filter(pk=notification_id).update(state=NotificationState.PENDING)
        raise
    Notification.objects.filter(pk=notification_id).update(
        state=NotificationState.SENT, sent_at=timezone.now(), provider_reference=reference
    )
    return True


def notifications_pending(*, older_than: dt.timedelta = dt.timedelta(minutes=2)) -> list[int]:
    """Pending notifications whose message may have been lost (broker down at the time)."""
    return list(
        Notification.objects.filter(
            state=NotificationState.PENDING, created_at__lt=timezone.now() - older_than
        ).values_list("pk", flat=True)[:1000]
    )
