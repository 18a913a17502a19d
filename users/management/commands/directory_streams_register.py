"""``manage.py directory_streams_register [URL] [--kind auto|event|log]``: make Auth0 push user changes."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from users.tasks import directory_streams_register


class Command(BaseCommand):
    help = ("Register the portal's receiver (/hooks/auth0) with the tenant: an event stream where the tenant "
            "has them, else a custom-webhook log stream, authenticated with DIRECTORY_STREAM_TOKEN.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("url", nargs="?", help="the receiver's public URL (default DIRECTORY_STREAM_URL)")
        parser.add_argument("--kind", choices=["auto", "event", "log"], default="auto")

    def handle(self, *args, url: str | None, kind: str, **options) -> None:
        url = url or settings.DIRECTORY_STREAM_URL
        if not url:
            raise CommandError("Give the receiver's URL, e.g. https://portal.example.com/hooks/auth0 "
                               "(or set DIRECTORY_STREAM_URL).")
        if urlsplit(url).scheme not in ("https", "http") or not urlsplit(url).netloc:
            raise CommandError(f"{url!r} is not an absolute http(s) URL.")
        result = directory_streams_register.apply(args=[url, kind])
        if result.failed():
            raise CommandError(f"Auth0 refused the registration: {result.result}")
        created = result.get()
        self.stdout.write(self.style.SUCCESS(
            f"Auth0 now pushes user changes to {url} through a{'n event' if created['kind'] == 'event' else ' log'} "
            f"stream ({created['id']})."))
