from django.urls import path, re_path

from scim import pages, views

# The SCIM endpoint of each organization (providers' bearer tokens): every route is in the SCIM isolation matrix
# (tests/isolation/test_scim_matrix.py). A trailing slash is accepted: providers differ.
_SLUG = r"scim/v2/(?P<slug>[-a-zA-Z0-9_]+)"
protocol = [
    re_path(rf"^{_SLUG}/ServiceProviderConfig/?$", views.service_provider_config, name="scim_service_provider_config"),
    re_path(rf"^{_SLUG}/ResourceTypes/?$", views.resource_types, name="scim_resource_types"),
    re_path(rf"^{_SLUG}/ResourceTypes/(?P<name>[A-Za-z]+)/?$", views.resource_types, name="scim_resource_type"),
    re_path(rf"^{_SLUG}/Schemas/?$", views.schemas, name="scim_schemas"),
    re_path(rf"^{_SLUG}/Schemas/(?P<schema_id>[A-Za-z0-9:.]+)/?$", views.schemas, name="scim_schema"),
    re_path(rf"^{_SLUG}/Users/?$", views.users, name="scim_users"),
    re_path(rf"^{_SLUG}/Users/(?P<scim_id>[^/]+)/?$", views.user, name="scim_user"),
    re_path(rf"^{_SLUG}/Groups/?$", views.groups, name="scim_groups"),
    re_path(rf"^{_SLUG}/Groups/(?P<scim_id>[^/]+)/?$", views.group, name="scim_group"),
]

# The admins' pages, under the organization's settings: in the isolation matrix (tests/isolation/test_matrix.py).
pages_urls = [
    path("o/<slug:slug>/settings/scim/", pages.scim_settings, name="scim_settings"),
    path("o/<slug:slug>/settings/scim/tokens/<int:token_id>/<str:act>/", pages.scim_token_act, name="scim_token_act"),
    path("o/<slug:slug>/settings/scim/roles/", pages.scim_role_mappings, name="scim_role_mappings"),
]

urlpatterns = protocol + pages_urls
