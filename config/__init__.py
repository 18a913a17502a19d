"""The composition root: settings, URL configuration, the WSGI/ASGI entry points and the commands that
wire every package together. Nothing else imports from here (import-linter checks it)."""
