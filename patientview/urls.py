"""Top-level URLs: patient pages (in each language), staff pages, the API and its schema."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django_otp.admin import OTPAdminSite
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from analytics import views as dashboard_views
from feedback import (
    staff_duplicate_views,
    staff_fft_views,
    staff_joint_views,
    staff_queue_views,
    staff_template_views,
    staff_views,
    tracking_views,
    views,
)
from paper import views as paper_views
from patientview.health import health
from patientview.metrics import metrics

# The admin asks for the authenticator's code too, and refuses a session not verified by one.
admin.site.__class__ = OTPAdminSite

urlpatterns = [
    path("health/", health, name="health"),
    path("metrics/", metrics, name="metrics"),
    path("staff/login/", staff_views.StaffLoginView.as_view(), name="login"),
    path("staff/two-factor/", staff_views.staff_two_factor, name="staff-two-factor"),
    path("staff/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("staff/queue/", staff_queue_views.staff_queue, name="staff-queue"),
    path("staff/queue/bulk/", staff_queue_views.staff_queue_bulk, name="staff-queue-bulk"),
    path(
        "staff/queue/views/", staff_queue_views.staff_queue_view_save, name="staff-queue-view-save"
    ),
    path("staff/templates/", staff_template_views.staff_templates, name="staff-templates"),
    path(
        "staff/templates/<int:pk>/delete/",
        staff_template_views.staff_template_delete,
        name="staff-template-delete",
    ),
    path(
        "staff/queue/views/<int:pk>/delete/",
        staff_queue_views.staff_queue_view_delete,
        name="staff-queue-view-delete",
    ),
    path("staff/items/<int:pk>/", staff_views.staff_item, name="staff-item"),
    path(
        "staff/items/<int:pk>/identity/",
        staff_views.staff_item_identity,
        name="staff-item-identity",
    ),
    # Before the steps' pattern, which would take "attachments", "links", "merge", "unlink" or
    # "unmerge" for a step.
    path(
        "staff/items/<int:pk>/attachments/",
        staff_views.staff_item_attach,
        name="staff-item-attach",
    ),
    path(
        "staff/items/<int:pk>/attachments/<int:attachment_pk>/",
        staff_views.staff_item_attachment,
        name="staff-item-attachment",
    ),
    path(
        "staff/items/<int:pk>/links/", staff_duplicate_views.staff_item_link, name="staff-item-link"
    ),
    path(
        "staff/items/<int:pk>/merge/",
        staff_duplicate_views.staff_item_merge,
        name="staff-item-merge",
    ),
    path(
        "staff/items/<int:pk>/unlink/",
        staff_duplicate_views.staff_item_unlink,
        name="staff-item-unlink",
    ),
    path(
        "staff/items/<int:pk>/unmerge/",
        staff_duplicate_views.staff_item_unmerge,
        name="staff-item-unmerge",
    ),
    path("staff/joint/", staff_joint_views.staff_joint, name="staff-joint"),
    path(
        "staff/items/<int:pk>/partners/",
        staff_joint_views.staff_item_partner_invite,
        name="staff-item-partner-invite",
    ),
    path(
        "staff/items/<int:pk>/partners/<str:ods_code>/remove/",
        staff_joint_views.staff_item_partner_remove,
        name="staff-item-partner-remove",
    ),
    # Before the steps' pattern, which would take "partners" or "contribution" for a step.
    path(
        "staff/items/<int:pk>/contribution/",
        staff_joint_views.staff_item_contribution,
        name="staff-item-contribution",
    ),
    path("staff/items/<int:pk>/<slug:step>/", staff_views.staff_item_step, name="staff-item-step"),
    path("staff/entries/new/", staff_views.staff_entry, name="staff-entry"),
    path("staff/privacy/", staff_views.staff_privacy, name="staff-privacy"),
    path("staff/fft-uploads/", staff_fft_views.staff_fft_uploads, name="staff-fft-uploads"),
    path("staff/fft-uploads/<int:pk>/", staff_fft_views.staff_fft_upload, name="staff-fft-upload"),
    path("staff/paper/", paper_views.paper_forms, name="paper-forms"),
    path("staff/paper/batches/<int:pk>/pdf/", paper_views.paper_batch_pdf, name="paper-batch-pdf"),
    path("staff/paper/uploads/", paper_views.paper_uploads, name="paper-uploads"),
    path("staff/paper/uploads/<int:pk>/", paper_views.paper_upload, name="paper-upload"),
    path("staff/paper/pages/<int:pk>/", paper_views.paper_page, name="paper-page"),
    path(
        "staff/paper/pages/<int:pk>/discard/",
        paper_views.paper_page_discard,
        name="paper-page-discard",
    ),
    path("staff/dashboard/", dashboard_views.response_times, name="staff-dashboard"),
    path(
        "staff/dashboard/feedback/",
        dashboard_views.what_patients_say,
        name="staff-dashboard-feedback",
    ),
    path("staff/dashboard/peers/", dashboard_views.peers, name="staff-dashboard-peers"),
    path("api/v1/", include("feedback.api.urls")),
    path("api/v1/", include("analytics.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

# The patient's pages, in each language of settings.LANGUAGES: English at the addresses without a
# prefix (the links already given to patients keep working), Welsh under /cy/ (docs/adr/0021).
# Staff pages and the API are in English only, outside these patterns.
urlpatterns += i18n_patterns(
    path("", views.start, name="start"),
    path("feedback/easy-read/", views.easy_read_start, name="easy-read-start"),
    path("feedback/new/", views.feedback_step, name="feedback-new"),
    path("feedback/new/check/", views.feedback_check, name="feedback-check"),
    path("feedback/new/<slug:step>/", views.feedback_step, name="feedback-step"),
    path("feedback/submitted/<str:token>/", views.feedback_submitted, name="feedback-submitted"),
    path("track/<str:token>/", tracking_views.tracking, name="tracking"),
    path("track/<str:token>/add/", tracking_views.tracking_add, name="tracking-add"),
    path("track/<str:token>/attachments/", tracking_views.tracking_attach, name="tracking-attach"),
    path(
        "track/<str:token>/attachments/<int:attachment_pk>/",
        tracking_views.tracking_attachment,
        name="tracking-attachment",
    ),
    path("track/<str:token>/withdraw/", tracking_views.tracking_withdraw, name="tracking-withdraw"),
    path("track/<str:token>/response/", tracking_views.tracking_response, name="tracking-response"),
    prefix_default_language=False,
)
