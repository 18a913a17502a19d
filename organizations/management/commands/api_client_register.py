from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from organizations.clients.services import api_client_register, api_client_update
from organizations.models import ApiClient, ApiPermission, Organization


class Command(BaseCommand):
    help = ("Register an Auth0 application as a client of the portal's REST API (or change its registration): "
            "the organizations it may touch, or all, and its permissions.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("client_id", help="The Auth0 application's client id")
        parser.add_argument("--name", required=True, help="What people call it, e.g. 'Help desk'")
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--all-organizations", action="store_true", help="It may touch every organization")
        scope.add_argument("--organization", action="append", default=[], metavar="SLUG",
                           help="An organization it may touch (repeat for several)")
        parser.add_argument("--permission", action="append", default=[], choices=ApiPermission.values,
                            required=True, help="A permission (repeat for several)")
        parser.add_argument("--disable", action="store_true", help="Shut the client out (its tokens get nothing)")

    def handle(self, *args, client_id: str, name: str, all_organizations: bool, organization: list[str],
               permission: list[str], disable: bool, **options) -> None:
        found = {o.slug: o for o in Organization.objects.filter(slug__in=organization)}
        missing = [slug for slug in organization if slug not in found]
        if missing:
            raise CommandError(f"No organization has the slug {', '.join(missing)}.")
        existing = ApiClient.objects.filter(client_id=client_id).first()
        try:
            if existing:
                client = api_client_update(actor=None, client=existing, name=name, all_organizations=all_organizations,
                                           organizations=found.values(), permissions=permission, active=not disable)
            else:
                client = api_client_register(actor=None, client_id=client_id, name=name,
                                             all_organizations=all_organizations, organizations=found.values(),
                                             permissions=permission)
                if disable:
                    client = api_client_update(actor=None, client=client, name=name,
                                               all_organizations=all_organizations, organizations=found.values(),
                                               permissions=permission, active=False)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        where = "every organization" if client.all_organizations else ", ".join(sorted(found))
        state = "registered" if client.active else "registered, disabled"
        self.stdout.write(self.style.SUCCESS(
            f"{client.name} ({client.client_id}) is {state}: {', '.join(client.permissions)} on {where}."))
