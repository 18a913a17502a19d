"""An organization's default language: what its people's pages and emails are written in unless they chose their
own (portal.web.language). Set by its admins."""
