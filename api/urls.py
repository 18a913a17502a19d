"""The REST API's routes, version 1, and its OpenAPI schema and docs."""

from django.urls import path, re_path

from api import action_views, app_role_views, errors, views
from api.base import ApiDocsView, ApiSchemaView
from api.bulk import views as bulk_views
from api.enterprise import views as enterprise_views

ORG = "v1/organizations/<slug:slug>/"
USER = ORG + "users/<str:user_id>/"
BULK_JOB = ORG + "bulk-jobs/<uuid:job_id>/"
DOMAIN = ORG + "domains/<int:domain_id>/"
CONNECTION = ORG + "connections/<int:connection_id>/"

urlpatterns = [
    path("schema/", ApiSchemaView.as_view(), name="api_schema"),
    path("docs/", ApiDocsView.as_view(url_name="api_schema"), name="api_docs"),
    path("v1/organizations/", views.OrganizationListView.as_view(), name="api_organization_list"),
    path("v1/events/", views.ApiEventListView.as_view(), name="api_event_list"),
    path(ORG, views.OrganizationDetailView.as_view(), name="api_organization_detail"),
    path(ORG + "users/", action_views.UserCollectionView.as_view(), name="api_user_list"),
    path(USER, views.UserDetailView.as_view(), name="api_user_detail"),
    path(USER + "metadata/", action_views.UserMetadataView.as_view(), name="api_user_metadata"),
    path(USER + "actions/<str:action>/", action_views.UserActionView.as_view(), name="api_user_action"),
    path(USER + "remove/", action_views.UserRemoveView.as_view(), name="api_user_remove"),
    path(USER + "delete/", action_views.UserDeleteView.as_view(), name="api_user_delete"),
    path(USER + "roles/", app_role_views.UserAppRoleCollectionView.as_view(), name="api_user_app_role_list"),
    path(USER + "roles/<str:role_id>/", app_role_views.UserAppRoleDetailView.as_view(),
         name="api_user_app_role_detail"),
    path(ORG + "app-roles/", app_role_views.GrantableAppRoleListView.as_view(), name="api_app_role_list"),
    path(ORG + "operations/", views.OperationListView.as_view(), name="api_operation_list"),
    path(ORG + "operations/<uuid:operation_id>/", views.OperationDetailView.as_view(), name="api_operation_detail"),
    path(ORG + "audit/", views.AuditEventListView.as_view(), name="api_audit_event_list"),
    path(ORG + "roles/", action_views.RoleCollectionView.as_view(), name="api_role_list"),
    path(ORG + "roles/<int:role_id>/", action_views.RoleDetailView.as_view(), name="api_role_detail"),
    path(ORG + "bulk-jobs/", bulk_views.BulkJobCollectionView.as_view(), name="api_bulk_job_list"),
    path(BULK_JOB, bulk_views.BulkJobDetailView.as_view(), name="api_bulk_job_detail"),
    path(BULK_JOB + "rows/", bulk_views.BulkJobRowsView.as_view(), name="api_bulk_job_rows"),
    path(BULK_JOB + "report/", bulk_views.BulkJobReportView.as_view(), name="api_bulk_job_report"),
    *(path(BULK_JOB + f"{act}/", view.as_view(), name=f"api_bulk_job_{act}")
      for act, view in bulk_views.BULK_JOB_ACT_VIEWS.items()),
    path(ORG + "domains/", enterprise_views.DomainCollectionView.as_view(), name="api_domain_list"),
    path(DOMAIN, enterprise_views.DomainDetailView.as_view(), name="api_domain_detail"),
    path(DOMAIN + "verify/", enterprise_views.DomainVerifyView.as_view(), name="api_domain_verify"),
    path(ORG + "connections/", enterprise_views.SsoConnectionCollectionView.as_view(), name="api_sso_connection_list"),
    path(CONNECTION, enterprise_views.SsoConnectionDetailView.as_view(), name="api_sso_connection_detail"),
    path(CONNECTION + "turn-on/", enterprise_views.SsoConnectionSwitchView.as_view(), name="api_sso_connection_on"),
    path(CONNECTION + "turn-off/", enterprise_views.SsoConnectionOffView.as_view(), name="api_sso_connection_off"),
    # Last: any other path under /api/ is the API's JSON 404, not the pages' HTML one.
    re_path(r"^", errors.api_route_not_found, name="api_not_found"),
]
