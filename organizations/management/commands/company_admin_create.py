from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from organizations.roles import company_admin_grant


class Command(BaseCommand):
    help = "Make an Auth0 user a company admin (the first one has to be made this way)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("user_id", help="The Auth0 user id (sub), e.g. auth0|5f1c…")
        parser.add_argument("--email", default="", help="Shown in the portal until they first sign in")
        parser.add_argument("--name", default="")

    def handle(self, *args, user_id: str, email: str, name: str, **options) -> None:
        if "|" not in user_id or len(user_id) > 255:
            raise CommandError(f"{user_id!r} is not an Auth0 user id (they look like 'auth0|5f1c…').")
        admin = company_admin_grant(actor=None, user_id=user_id, email=email, name=name)
        self.stdout.write(self.style.SUCCESS(f"{admin.email or admin.user_id} is a company admin."))
