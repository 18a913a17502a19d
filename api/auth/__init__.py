"""Who may call the API and how much: the bearer token validated locally (``authentication``), the caller it
names (``caller``), the permission each view asks of it (``permissions``) and its request budget
(``throttling``). Settings name these classes by dotted path (REST_FRAMEWORK, OIDC_DRF_AUTH_BACKEND)."""
