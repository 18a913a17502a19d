"""The directory's sync status, for company admins: how fresh the mirror is, and running a sync now."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from portal.principal import company_admin_from_request
from users.directory.sync import sync_run_start, sync_status
from users.models import StreamEvent, SyncRun

RUNS_SHOWN = 20



@login_required
@require_GET
def sync_status_page(request: HttpRequest) -> HttpResponse:
    company_admin_from_request(request)
    status = sync_status()
    last_event = StreamEvent.objects.order_by("-received_at").first()
    return render(request, "directory/sync_status.html", {
        "status": status,
        "runs": SyncRun.objects.select_related("organization")[:RUNS_SHOWN],
        "last_event": last_event,
        "events_today": StreamEvent.objects.filter(received_at__date=last_event.received_at.date()).count()
        if last_event else 0,
    })


@login_required
@require_POST
def sync_start(request: HttpRequest) -> HttpResponse:
    company_admin_from_request(request)
    kind = request.POST.get("kind", "")
    if kind not in SyncRun.Kind.values:
        messages.error(request, gettext("Choose a full or a delta sync."))
        return redirect("directory_sync_status")
    if kind == SyncRun.Kind.DELTA and sync_status()["last_full_sync_seconds_ago"] is None:
        messages.error(request, gettext("A delta sync starts from the last full sync, and none has finished yet: "
                                        "run a full sync first."))
        return redirect("directory_sync_status")
    run = sync_run_start(kind=kind)
    messages.info(request, gettext("%(kind)s started; this page shows its progress.") % {
        "kind": run.get_kind_display()})
    return redirect("directory_sync_status")
