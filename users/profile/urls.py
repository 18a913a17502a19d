"""The self-service profile's routes: each works on the signed-in person alone, and none takes a user id (the
isolation matrix lists them as open to all, tests/isolation/test_profile.py shows nothing of another person is
reachable through them; the one with an organization slug is in its matrix of organization routes)."""

from django.urls import path

from users.profile import language_views
from users.profile import views as profile_views
from users.views import join as joining_views

urlpatterns = [
    path("profile/", profile_views.profile, name="profile"),
    path("profile/details/<slug:slug>/", profile_views.profile_metadata_edit, name="profile_metadata_edit"),
    path("profile/password-email/", profile_views.profile_password_email, name="profile_password_email"),
    path("profile/verification-email/", profile_views.profile_verification_email, name="profile_verification_email"),
    path("profile/sign-out-everywhere/", profile_views.profile_sessions_revoke, name="profile_sessions_revoke"),
    path("profile/language/", language_views.profile_language, name="profile_language"),
    path("profile/activity/", profile_views.profile_activity, name="profile_activity"),
    path("profile/export/", profile_views.profile_data_export, name="profile_data_export"),
    path("profile/export/<uuid:export_id>/", profile_views.profile_data_export_download,
         name="profile_data_export_download"),
    path("profile/operations/<uuid:operation_id>/", profile_views.profile_operation, name="profile_operation"),
    # An invitation to join an organization, answered by the account invited (a 404 for any other).
    path("invitations/<uuid:invitation_id>/", joining_views.join_invitation, name="join_invitation"),
]
