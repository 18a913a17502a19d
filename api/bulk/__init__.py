"""Bulk onboarding over the API (``/api/v1/organizations/<slug>/bulk-jobs/``): its views and serializers, on
top of the ``onboarding`` app's services and selectors."""
