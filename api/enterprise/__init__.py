"""An organization's enterprise sign-in over the API: its verified domains and its SSO connections."""
