from django.urls import path

from feedback.api.views import FeedbackSubmitApi, TrackingApi

urlpatterns = [
    path("feedback/", FeedbackSubmitApi.as_view(), name="api-feedback-submit"),
    path("tracking/<str:token>/", TrackingApi.as_view(), name="api-tracking"),
]
