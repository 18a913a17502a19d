"""The OpenID provider: discovery and JWKS (``discovery``), ``/authorize`` (``authorize``), authorization
codes and refresh tokens (``codes``), ``/oauth/token`` and ``/oauth/revoke`` (``token``), what the tokens
it issues hold (``tokens``), ``/userinfo`` (``userinfo``) and logout (``logout``)."""
