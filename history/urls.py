from django.urls import path

from history import audit_views, operation_views

# What happened: operations and the audit trail. The routes under o/<slug>/ are organization-scoped and in
# the isolation matrix (tests/isolation/test_matrix.py); the others are for company admins only
# (COMPANY_ONLY there).
urlpatterns = [
    path("operations/", operation_views.company_operation_list, name="company_operation_list"),
    path("audit/", audit_views.company_audit_event_list, name="company_audit_event_list"),
    path("audit/export.csv", audit_views.company_audit_event_export, name="company_audit_event_export"),
    path("o/<slug:slug>/operations/", operation_views.operation_list, name="operation_list"),
    path("o/<slug:slug>/operations/<uuid:operation_id>/retry/", operation_views.operation_retry,
         name="operation_retry"),
    path("o/<slug:slug>/audit/", audit_views.audit_event_list_page, name="audit_event_list"),
    path("o/<slug:slug>/audit/export.csv", audit_views.audit_event_export, name="audit_event_export"),
]
