from django.urls import path

from users.views import (
    account,
    block_here,
    email_change,
    invite,
    join,
    metadata,
    pending,
    removal,
    selection,
    user_list,
    user_page,
)

# Every route under o/<slug>/ is organization-scoped and is in the isolation matrix
# (tests/isolation/test_matrix.py); the routes under users/ are for company admins only (COMPANY_ONLY there).
urlpatterns = [
    path("users/", user_list.directory_user_list, name="directory_user_list"),
    path("users/export.csv", user_list.directory_user_export, name="directory_user_export"),
    path("users/<str:user_id>/", user_page.directory_user_detail, name="directory_user_detail"),
    path("users/<str:user_id>/activity/", user_page.directory_user_activity, name="directory_user_activity"),
    path("o/<slug:slug>/users/", user_list.user_list, name="user_list"),
    path("o/<slug:slug>/users/export.csv", user_list.user_export, name="user_export"),
    path("o/<slug:slug>/users/invite/", invite.user_invite, name="user_invite"),
    path("o/<slug:slug>/users/selection/", selection.user_selection, name="user_selection"),
    path("o/<slug:slug>/users/invitations/", pending.invitation_list, name="invitation_list"),
    path("o/<slug:slug>/users/invitations/<str:user_id>/resend/", pending.invitation_resend,
         name="invitation_resend"),
    path("o/<slug:slug>/users/invitations/<str:user_id>/revoke/", pending.invitation_revoke,
         name="invitation_revoke"),
    path("o/<slug:slug>/users/invitations/join/<uuid:invitation_id>/resend/", join.join_invitation_resend,
         name="join_invitation_resend"),
    path("o/<slug:slug>/users/invitations/join/<uuid:invitation_id>/revoke/", join.join_invitation_revoke,
         name="join_invitation_revoke"),
    path("o/<slug:slug>/users/blocked/", block_here.organization_block_list, name="organization_block_list"),
    path("o/<slug:slug>/users/blocked/<str:user_id>/unblock/", block_here.organization_unblock,
         name="organization_unblock"),
    path("o/<slug:slug>/users/<str:user_id>/", user_page.user_detail, name="user_detail"),
    path("o/<slug:slug>/users/<str:user_id>/activity/", user_page.user_activity, name="user_activity"),
    path("o/<slug:slug>/users/<str:user_id>/actions/<slug:action>/", account.user_action, name="user_action"),
    path("o/<slug:slug>/users/<str:user_id>/metadata/", metadata.user_metadata_edit, name="user_metadata_edit"),
    path("o/<slug:slug>/users/<str:user_id>/email/", email_change.user_email_change, name="user_email_change"),
    path("o/<slug:slug>/users/<str:user_id>/remove/", removal.user_remove, name="user_remove"),
    path("o/<slug:slug>/users/<str:user_id>/delete/", removal.user_delete, name="user_delete"),
]
