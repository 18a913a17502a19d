from django.urls import path

from app_roles import views

# Every route is organization-scoped and is in the isolation matrix (tests/isolation/test_matrix.py).
urlpatterns = [
    path("o/<slug:slug>/settings/app-roles/", views.organization_app_roles, name="organization_app_roles"),
    path("o/<slug:slug>/settings/app-roles/refresh/", views.organization_app_roles_refresh,
         name="organization_app_roles_refresh"),
    path("o/<slug:slug>/users/<str:user_id>/app-roles/", views.user_app_role_assign, name="user_app_role_assign"),
    path("o/<slug:slug>/users/<str:user_id>/app-roles/<str:role_id>/remove/", views.user_app_role_remove,
         name="user_app_role_remove"),
]
