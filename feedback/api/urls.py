from django.urls import path

from feedback.api import staff_joint_views, staff_views
from feedback.api.fft_views import FftUploadApi, FftUploadsApi
from feedback.api.views import FeedbackSubmitApi, TrackingApi

urlpatterns = [
    path("feedback/", FeedbackSubmitApi.as_view(), name="api-feedback-submit"),
    path("tracking/<str:token>/", TrackingApi.as_view(), name="api-tracking"),
    path("queue/", staff_views.QueueListApi.as_view(), name="api-queue"),
    path("joint/", staff_joint_views.JointListApi.as_view(), name="api-joint"),
    path("queue/entries/", staff_views.StaffEntryApi.as_view(), name="api-queue-entry"),
    path("queue/<int:pk>/", staff_views.QueueItemApi.as_view(), name="api-queue-item"),
    path(
        "queue/<int:pk>/identity/",
        staff_views.QueueItemIdentityApi.as_view(),
        name="api-queue-item-identity",
    ),
    path(
        "queue/<int:pk>/audit/",
        staff_views.QueueItemAuditApi.as_view(),
        name="api-queue-item-audit",
    ),
    # Before the steps' pattern, which would take "attachments", "duplicates", "links",
    # "merge" or "unmerge" for a step.
    path(
        "queue/<int:pk>/attachments/",
        staff_views.QueueItemAttachmentsApi.as_view(),
        name="api-queue-item-attachments",
    ),
    path(
        "queue/<int:pk>/attachments/<int:attachment_pk>/",
        staff_views.QueueItemAttachmentApi.as_view(),
        name="api-queue-item-attachment",
    ),
    path(
        "queue/<int:pk>/duplicates/",
        staff_views.QueueItemDuplicatesApi.as_view(),
        name="api-queue-item-duplicates",
    ),
    path(
        "queue/<int:pk>/links/",
        staff_views.QueueItemLinksApi.as_view(),
        name="api-queue-item-links",
    ),
    path(
        "queue/<int:pk>/merge/",
        staff_views.QueueItemMergeApi.as_view(),
        name="api-queue-item-merge",
    ),
    path(
        "queue/<int:pk>/links/<int:other_pk>/",
        staff_views.QueueItemLinkApi.as_view(),
        name="api-queue-item-link",
    ),
    path(
        "queue/<int:pk>/unmerge/",
        staff_views.QueueItemUnmergeApi.as_view(),
        name="api-queue-item-unmerge",
    ),
    path(
        "queue/<int:pk>/partners/",
        staff_joint_views.QueueItemPartnersApi.as_view(),
        name="api-queue-item-partners",
    ),
    path(
        "queue/<int:pk>/partners/<str:ods_code>/",
        staff_joint_views.QueueItemPartnerApi.as_view(),
        name="api-queue-item-partner",
    ),
    path(
        "queue/<int:pk>/contribution/",
        staff_joint_views.QueueItemContributionApi.as_view(),
        name="api-queue-item-contribution",
    ),
    path(
        "queue/<int:pk>/<slug:step>/",
        staff_views.QueueItemStepApi.as_view(),
        name="api-queue-item-step",
    ),
    path("fft-uploads/", FftUploadsApi.as_view(), name="api-fft-uploads"),
    path("fft-uploads/<int:pk>/", FftUploadApi.as_view(), name="api-fft-upload"),
]
