"""A local emulator of the parts of an Auth0 tenant the portal uses.

It runs as its own process (``python -m auth0_emulator``), keeps its state in a SQLite file and
never imports the portal. See DESIGN.md section 6 and the README.
"""
