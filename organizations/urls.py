from django.urls import path

from organizations import views
from organizations.language import views as language_views

# Every route with <slug> is organization-scoped and must be in the isolation matrix
# (tests/isolation/test_matrix.py), except those listed there as public.
urlpatterns = [
    path("orgs/", views.organization_list, name="organization_list"),
    path("orgs/new/", views.organization_create, name="organization_create"),
    path("choose/", views.organization_choose, name="organization_choose"),
    path("o/<slug:slug>/", views.organization_detail, name="organization_detail"),
    path("o/<slug:slug>/settings/", views.organization_edit, name="organization_edit"),
    path("o/<slug:slug>/schema/", views.organization_schema, name="organization_schema"),
    path("o/<slug:slug>/language/", language_views.organization_language, name="organization_language"),
    path("o/<slug:slug>/provision/", views.organization_provision_retry, name="organization_provision_retry"),
    path("o/<slug:slug>/roles/", views.role_grant, name="role_grant"),
    path("o/<slug:slug>/roles/<int:role_id>/remove/", views.role_revoke, name="role_revoke"),
    path("o/<slug:slug>/operations/<uuid:operation_id>/", views.operation_detail, name="operation_detail"),
    path("o/<slug:slug>/logo", views.organization_logo, name="organization_logo"),
    path("o/<slug:slug>/theme.css", views.organization_theme, name="organization_theme"),
]
