"""Enterprise connections that really sign people in: the emulator is the service provider (SAML, with pysaml2) or
the relying party (OpenID Connect) of the organization's identity provider, as Auth0 is."""
