"""Top-level URLs: patient pages, staff pages, the versioned API and its schema."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from feedback import staff_views, views

urlpatterns = [
    path("", views.start, name="start"),
    path("feedback/new/", views.feedback_new, name="feedback-new"),
    path("feedback/submitted/<str:token>/", views.feedback_submitted, name="feedback-submitted"),
    path("track/<str:token>/", views.tracking, name="tracking"),
    path(
        "staff/login/",
        auth_views.LoginView.as_view(template_name="staff/login.html"),
        name="login",
    ),
    path("staff/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("staff/queue/", staff_views.staff_queue, name="staff-queue"),
    path("staff/items/<int:pk>/", staff_views.staff_item, name="staff-item"),
    path("api/v1/", include("feedback.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
