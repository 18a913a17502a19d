from django.urls import path

from domains import views

# Organization-scoped: every route is in the isolation matrix (tests/isolation/test_matrix.py).
urlpatterns = [
    path("o/<slug:slug>/settings/domains/", views.domain_list, name="domain_list"),
    path("o/<slug:slug>/settings/domains/<int:domain_id>/", views.domain_detail, name="domain_detail"),
    path("o/<slug:slug>/settings/domains/<int:domain_id>/verify/", views.domain_verify, name="domain_verify"),
    path("o/<slug:slug>/settings/domains/<int:domain_id>/remove/", views.domain_remove, name="domain_remove"),
]
