"""Regulator API routes, included under /api/v1/."""

from django.urls import path

from analytics.api import views

urlpatterns = [
    path("exports/feedback/", views.FeedbackExportApi.as_view(), name="api-export-feedback"),
    path(
        "exports/feedback/csv/",
        views.FeedbackExportCsvApi.as_view(),
        name="api-export-feedback-csv",
    ),
    path(
        "exports/feedback/ndjson/",
        views.FeedbackExportNdjsonApi.as_view(),
        name="api-export-feedback-ndjson",
    ),
    path(
        "aggregates/feedback/",
        views.FeedbackAggregatesApi.as_view(),
        name="api-aggregates-feedback",
    ),
    path("ko41/", views.Ko41ReturnApi.as_view(), name="api-ko41"),
]
