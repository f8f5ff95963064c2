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
from django.utils import timezone

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
    communication_needs_text,
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


def _needs(item: Feedback) -> str:
    """What the patient said they need to communicate, said back to them (Accessible
    Information Standard), as a paragraph; "" when they said nothing."""
    needs = communication_needs_text(
        item.communication_needs, item.interpreter_language, capitalise=False
    )
    if not needs:
        return ""
    return (
        f"You told us you need: {needs}. We have passed this on to the team handling it, so "
        "they can contact you in the way you need.\n\n"
    )


def _on_behalf(item: Feedback) -> str:
    """For someone writing for the patient, what happens about the patient's consent
    (regulation 5), as a paragraph; "" when the patient wrote or consent is not an issue."""
    if item.complainant_status != ComplainantStatus.ON_BEHALF:
        return ""
    if item.consent == Consent.TO_BE_SOUGHT:
        return (
            "You told us you are writing for someone else and will need to ask them. The team "
            "handling it will send you a consent form for the patient to sign. They wait for it "
            "before they reply, and the time they take to reply stops until then.\n\n"
        )
    return "You told us you are writing for someone else. We will write to you, not to them.\n\n"


def _message(notification: Notification) -> tuple[str, str]:
    item = notification.feedback
    handler = item.handled_by.name if item.handled_by else "the NHS"
    kind = item.get_kind_display().lower()
    if notification.kind == NotificationKind.RECEIPT:
        return (
            f"We have received your {kind}",
            f"Thank you. We have received your {kind} and will send it to the organisation "
            "that should act on it.\n\n"
            f"{_needs(item)}"
            f"{_on_behalf(item)}"
            f"Keep this private link. It shows what happens next, and from it you can add "
            f"information, answer questions and read the reply: {_tracking_url(item)}\n\n"
            "Do not share the link: anyone who has it can see the progress of your feedback.\n",
        )
    if notification.kind == NotificationKind.REOPENED:
        due = f" They aim to reply by {item.response_due:%d %B %Y}." if item.response_due else ""
        return (
            f"Your {kind} has been reopened",
            f"{handler} has reopened your {kind} to look at it again.{due}\n\n"
            f"You can follow its progress here: {_tracking_url(item)}\n",
        )
    if notification.kind == NotificationKind.ACKNOWLEDGEMENT and item.route == Route.CQC:
        return (
            f"The Care Quality Commission has received your {kind}",
            "\n\n".join(CQC_EXPLAINED)
            + f"\n\n{_needs(item)}You can follow what happens here: {_tracking_url(item)}\n",
        )
    if notification.kind == NotificationKind.ACKNOWLEDGEMENT:
        due = (
            f" We aim to send you a full response by {item.response_due:%d %B %Y}."
            if (item.response_due)
            else ""
        )
        # Told again here, by the organisation that will answer (never on the CQC's message).
        help_text = (
            "\n\n" + COMPLAINT_HELP_HEADING + "\n\n" + "\n\n".join(COMPLAINT_HELP) + "\n"
            if item.kind in (Kind.COMPLAINT, Kind.CONCERN)
            else ""
        )
        return (
            f"We have received your {kind}",
            f"{handler} has received your {kind} and is looking into it.{due}\n\n"
            f"{_needs(item)}"
            f"You can follow its progress here: {_tracking_url(item)}\n{help_text}",
        )
    if notification.kind == NotificationKind.UNMERGED:
        due = f" They aim to reply by {item.response_due:%d %B %Y}." if item.response_due else ""
        return (
            f"Your {kind} is being looked at on its own again",
            f"We told you that {handler} had joined your {kind} to another about the same "
            f"matter. They will not answer them together after all, so they are now looking "
            f"into yours on its own.{due} You do not need to do anything.\n\n"
            f"You can follow its progress here: {_tracking_url(item)}\n",
        )
    if notification.kind == NotificationKind.MERGED:
        return (
            f"Your {kind} has been joined with another",
            f"{handler} is already looking into another {kind} about the same matter, so they "
            f"have joined yours to it. You will get one full response, for both, when it is "
            "ready: we will send it to you too. You do not need to do anything.\n\n"
            f"You can follow its progress here: {_tracking_url(item)}\n",
        )
    # The final response: an item merged into another is sent that item's response.
    answered = item.duplicate_of or item
    joined = (
        f"Your {kind} was joined to another about the same matter, so this response answers "
        "both.\n\n"
        if answered is not item
        else ""
    )
    late = (
        f"\n\nWhy this took longer than we said: {answered.late_reason}"
        if answered.late_reason
        else ""
    )
    return (
        f"Our response to your {kind}",
        f"{joined}{answered.response_text}{late}\n\nYou can also read this response at "
        f"{_tracking_url(item)} (we will email you a code to show it there).\n",
    )


def security_code_send(*, feedback: Feedback, email: str, code: str) -> None:
    """Send the code that shows the response on the tracking page, now (it lasts 15 minutes)."""
    subject = "Your code to read the response"
    body = (
        f"Your code is {code}. Enter it on the page where you asked for it to read the response "
        "to your feedback. It lasts 15 minutes.\n\nIf you did not ask for a code, you can ignore "
        "this email.\n"
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
