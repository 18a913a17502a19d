from django.urls import path

from users import edit_views, invitation_views, joining_views, removal_views, selection_views, views

# Every route under o/<slug>/ is organization-scoped and is in the isolation matrix
# (tests/isolation/test_matrix.py); the routes under users/ are for company admins only (COMPANY_ONLY there).
urlpatterns = [
    path("users/", views.directory_user_list, name="directory_user_list"),
    path("users/export.csv", views.directory_user_export, name="directory_user_export"),
    path("users/<str:user_id>/", views.directory_user_detail, name="directory_user_detail"),
    path("users/<str:user_id>/activity/", views.directory_user_activity, name="directory_user_activity"),
    path("o/<slug:slug>/users/", views.user_list, name="user_list"),
    path("o/<slug:slug>/users/export.csv", views.user_export, name="user_export"),
    path("o/<slug:slug>/users/invite/", views.user_invite, name="user_invite"),
    path("o/<slug:slug>/users/selection/", selection_views.user_selection, name="user_selection"),
    path("o/<slug:slug>/users/invitations/", invitation_views.invitation_list, name="invitation_list"),
    path("o/<slug:slug>/users/invitations/<str:user_id>/resend/", invitation_views.invitation_resend,
         name="invitation_resend"),
    path("o/<slug:slug>/users/invitations/<str:user_id>/revoke/", invitation_views.invitation_revoke,
         name="invitation_revoke"),
    path("o/<slug:slug>/users/invitations/join/<uuid:invitation_id>/resend/", joining_views.join_invitation_resend,
         name="join_invitation_resend"),
    path("o/<slug:slug>/users/invitations/join/<uuid:invitation_id>/revoke/", joining_views.join_invitation_revoke,
         name="join_invitation_revoke"),
    path("o/<slug:slug>/users/blocked/", joining_views.organization_block_list, name="organization_block_list"),
    path("o/<slug:slug>/users/blocked/<str:user_id>/unblock/", joining_views.organization_unblock,
         name="organization_unblock"),
    path("o/<slug:slug>/users/<str:user_id>/", views.user_detail, name="user_detail"),
    path("o/<slug:slug>/users/<str:user_id>/activity/", views.user_activity, name="user_activity"),
    path("o/<slug:slug>/users/<str:user_id>/actions/<slug:action>/", views.user_action, name="user_action"),
    path("o/<slug:slug>/users/<str:user_id>/metadata/", edit_views.user_metadata_edit, name="user_metadata_edit"),
    path("o/<slug:slug>/users/<str:user_id>/email/", edit_views.user_email_change, name="user_email_change"),
    path("o/<slug:slug>/users/<str:user_id>/remove/", removal_views.user_remove, name="user_remove"),
    path("o/<slug:slug>/users/<str:user_id>/delete/", removal_views.user_delete, name="user_delete"),
]
