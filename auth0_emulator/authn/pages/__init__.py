"""The hosted HTML pages: rendering and security headers (``render``), the login page (``login``), the
signup page (``signup``), the pages tickets and emails point to (``tickets``: reset password, verify
email) and the index page at ``/`` (``index``)."""
