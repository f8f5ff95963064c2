"""Organisations, staff, patient feedback and the trail of what happened to it.

One package, four modules: ``organisations`` (the directory and staff), ``items`` (feedback as sent,
read and routed), ``casework`` (what happens around an item while it is handled) and ``team``
(what a team keeps beside its items). Import from here.
"""

from feedback.models.casework import (
    Attachment,
    AuditEvent,
    Correction,
    FeedbackLink,
    Identity,
    JointPartner,
    Notification,
    PatientMessage,
    PhoneDigits,
    attachment_upload_to,
)
from feedback.models.items import (
    Feedback,
    FeedbackQuerySet,
    FeedbackReading,
    FeedbackTheme,
    new_tracking_token,
)
from feedback.models.organisations import (
    Organisation,
    Region,
    User,
    Viewer,
    organisations_visible_to,
)
from feedback.models.team import FftUpload, ReplyTemplate, SavedView, WorkerHeartbeat

__all__ = [
    "Attachment",
    "AuditEvent",
    "Correction",
    "Feedback",
    "FeedbackLink",
    "FeedbackQuerySet",
    "FeedbackReading",
    "FeedbackTheme",
    "FftUpload",
    "Identity",
    "JointPartner",
    "Notification",
    "Organisation",
    "PatientMessage",
    "PhoneDigits",
    "Region",
    "ReplyTemplate",
    "SavedView",
    "User",
    "Viewer",
    "WorkerHeartbeat",
    "attachment_upload_to",
    "new_tracking_token",
    "organisations_visible_to",
]
