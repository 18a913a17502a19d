"""The bulk onboarding pages, under an organization's users (``o/<slug>/users/bulk/``, included by
config/urls.py before the users' own routes, whose ``<user_id>`` would take ``bulk``). Every route is in the
isolation matrix (tests/isolation/test_matrix.py)."""

from django.urls import path

from onboarding import views

urlpatterns = [
    path("", views.bulk_upload, name="bulk_upload"),
    path("template.csv", views.bulk_template, name="bulk_template"),
    path("<uuid:job_id>/", views.bulk_job, name="bulk_job"),
    path("<uuid:job_id>/progress/", views.bulk_job_progress_json, name="bulk_job_progress"),
    path("<uuid:job_id>/report.csv", views.bulk_job_report, name="bulk_job_report"),
    path("<uuid:job_id>/<slug:act>/", views.bulk_job_act, name="bulk_job_act"),
]
