"""The product's URLs plus the bare endpoint, for the load bench only."""

from django.urls import include, path

from bench.bareapp.views import bare_insert

urlpatterns = [
    path("bench/bare/", bare_insert, name="bench-bare"),
    path("", include("patientview.urls")),
]
