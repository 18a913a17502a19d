"""Bulk onboarding over the API: a job from JSON rows or a CSV file, checked (a dry run against the directory,
nothing sent to Auth0), then started, paused, resumed or cancelled like on its page; its rows and report.
Each view is one scoped selector or one of ``onboarding.services`` (which check the caller's rights again and
record the audit events); a job of another organization is a 404."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api import examples
from api.action_views import IDEMPOTENCY_PARAMETER
from api.base import ApiView
from api.bulk.serializers import (
    BulkFileInput,
    BulkJobDetailSerializer,
    BulkJobPageSerializer,
    BulkJobSerializer,
    BulkRowPageSerializer,
    BulkRowSerializer,
    BulkRowsInput,
    bulk_job_url,
)
from api.errors import Conflict
from api.idempotency import idempotent
from api.models import IdempotentRequest
from api.query import choice, query_read
from api.views import (
    CURSOR_PARAMETERS,
    READ_USERS,
    SIZE_PARAMETER,
    WRITE_USERS,
    openapi,
    organization_of,
    page_read,
    page_size_of,
    principal_of,
)
from onboarding.models import BulkJob
from onboarding.processing.report import bulk_report_filename, bulk_report_rows
from onboarding.selectors import ROW_FILTERS, bulk_job_get, bulk_job_list, bulk_row_list
from onboarding.services import (
    bulk_job_cancel,
    bulk_job_create,
    bulk_job_discard,
    bulk_job_pause,
    bulk_job_resume,
    bulk_job_start,
)
from portal.keyset import KeysetPaginator, SortKey
from portal.principal import Principal
from portal.web.csv_export import csv_response

# The ValidationError codes of a file or rows that cannot be read as a whole (onboarding.intake.files, .columns,
# .services): answered as the file's or the rows' field error. Others (the organization not connected) are not.
WHOLE_INPUT_CODES = {"empty", "encoding", "csv", "rows", "size", "columns"}
# A multipart body this much bigger than the file limit is refused before it is read (the parts' headers and
# boundaries are small).
MULTIPART_SLACK = 64 * 1024

JOB_ID = OpenApiParameter("job_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The job's id")
JOB_RESPONSES = {
    409: OpenApiResponse(description="The job's status does not allow this (e.g. start a job that is not ready)"),
    403: OpenApiResponse(description="insufficient_scope, or the caller is not an admin of the organization"),
    404: OpenApiResponse(description="No such job in the organization, or outside the caller's organizations"),
}


def job_of(request: Request, slug: str, job_id) -> BulkJob:
    organization = organization_of(request, slug)
    return bulk_job_get(principal=principal_of(request), organization=organization, job_id=job_id)


def job_act(act: Callable[..., BulkJob | None], *, actor: Principal, job: BulkJob) -> BulkJob | None:
    """``act`` (one of onboarding.services' start, pause, resume, cancel, discard) on the job. A status that does
    not allow it is a 409: the request is right, the job is not there yet or any more."""
    try:
        return act(actor=actor, job=job)
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict") and {error.code for error in exc.error_list} == {"status"}:
            raise Conflict(" ".join(exc.messages)) from None
        raise


def job_response(job: BulkJob, code: int = status.HTTP_200_OK) -> Response:
    job = BulkJob.objects.select_related("organization").get(pk=job.pk)
    headers = {"Location": bulk_job_url(job)} if code == status.HTTP_202_ACCEPTED else None
    return Response(BulkJobDetailSerializer(job).data, status=code, headers=headers)


def _whole_input_error(exc: DjangoValidationError, field: str) -> exceptions.ValidationError:
    codes = {getattr(error, "code", None) for error in exc.error_list} if not hasattr(exc, "error_dict") else set()
    if codes and codes <= WHOLE_INPUT_CODES:
        return exceptions.ValidationError({field: exc.messages})
    return exceptions.ValidationError({"non_field_errors": exc.messages})


# A body whose rows do not fit the schema names at most this many of them (a file of 10,000 wrong rows is one
# mistake, not 10,000).
ROW_ERRORS_SHOWN = 20


def _rows_of(data) -> list:
    """The JSON body's rows, as given, once their shape is the schema's (``BulkRowsInput``); they are then read by
    ``onboarding.intake.files.json_rows``. A body of another shape is a 400 naming what is wrong (``rows[3].email``)."""
    if not isinstance(data, dict) or "rows" not in data:
        raise exceptions.ValidationError({"rows": [_("Send {\"rows\": [...]} (one object per person), or a CSV "
                                                     "file as multipart/form-data field file.")]})
    shape = BulkRowsInput(data=data)
    if not shape.is_valid():
        errors = dict(shape.errors)
        row_errors = errors.get("rows")
        if isinstance(row_errors, dict) and len(row_errors) > ROW_ERRORS_SHOWN:
            # ListField's errors are keyed by the row's index; the first few say what is wrong.
            errors["rows"] = dict(sorted(row_errors.items())[:ROW_ERRORS_SHOWN])
            more = len(row_errors) - ROW_ERRORS_SHOWN
            errors["rows_not_shown"] = [ngettext("%(count)s more row does not fit either.",
                                                 "%(count)s more rows do not fit either.", more)
                                        % {"count": number_format(more, force_grouping=True)}]
        raise exceptions.ValidationError(errors)
    rows = data["rows"]
    # PostgreSQL cannot store a NUL character in JSON text; no person's data has one (the texts' pattern says so;
    # a metadata key or value is checked here).
    if "\\u0000" in json.dumps(rows):
        raise exceptions.ValidationError({"rows": [_("The rows contain a NUL character.")]})
    return rows


class BulkRowsParser(BaseParser):
    """JSON, as the API's parser reads it, but up to the bulk upload limit (a job's rows are far more than the
    request body limit of every other route)."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.BULK_UPLOAD_MAX_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise exceptions.ValidationError({"rows": [
                _("The request is over the limit of %(megabytes)s MB: send the rows in several jobs.")
                % {"megabytes": f"{limit / 1_000_000:.0f}"}]})
        return JSONParser().parse(io.BytesIO(body), media_type, parser_context)


class BulkJobCollectionView(ApiView):
    permissions_required = {"GET": READ_USERS, "POST": WRITE_USERS}
    parser_classes = [BulkRowsParser, MultiPartParser]
    query_parameters = [SIZE_PARAMETER, *CURSOR_PARAMETERS]

    @extend_schema(summary="The organization's bulk onboarding jobs, newest first", responses=BulkJobPageSerializer,
                   examples=examples.BULK_JOB_LIST, parameters=openapi(query_parameters),
                   description="Permission: users:read. The organization's admins (and company-wide callers) only.")
    def get(self, request: Request, slug: str) -> Response:
        organization = organization_of(request, slug)
        query = query_read(request, self.query_parameters)
        jobs = bulk_job_list(principal=principal_of(request), organization=organization)
        paginator = KeysetPaginator(jobs.select_related("organization"),
                                    [SortKey("created_at", descending=True), SortKey("pk", descending=True)],
                                    page_size_of(query))
        page = page_read(query, paginator)
        return Response({"results": BulkJobSerializer(page.items, many=True).data,
                         "next_cursor": page.next_cursor, "previous_cursor": page.previous_cursor})

    @extend_schema(
        request={"application/json": BulkRowsInput, "multipart/form-data": BulkFileInput},
        responses={202: OpenApiResponse(BulkJobDetailSerializer, description="Stored and being checked: poll the "
                                        "Location header's job until its status is ready"),
                   400: OpenApiResponse(description="The rows or the file cannot be read as a whole (errors under "
                                                    "rows or file); nothing was kept"),
                   403: JOB_RESPONSES[403]},
        parameters=[IDEMPOTENCY_PARAMETER], examples=examples.BULK_JOB_CREATE,
        summary="Start a bulk onboarding job from JSON rows or a CSV file",
        description="Permission: users:write. Either JSON {\"rows\": [...]} (email, given_name, family_name, "
                    "name, block, user_metadata, app_metadata per person) or a CSV file as multipart/form-data "
                    f"field file (either at most {settings.BULK_UPLOAD_MAX_BYTES / 1_000_000:.0f} MB and "
                    f"{settings.BULK_MAX_ROWS:,} rows; the columns of the organization's bulk template). The job "
                    "is checked first, against the directory only (nothing is sent to Auth0): poll it until its "
                    "status is ready, read its rows' planned actions, then start it.")
    def post(self, request: Request, slug: str) -> Response:
        organization = organization_of(request, slug)
        principal = principal_of(request)
        if request.content_type.startswith("multipart/"):
            limit = settings.BULK_UPLOAD_MAX_BYTES
            length = int(request.META.get("CONTENT_LENGTH") or 0)
            if length > limit + MULTIPART_SLACK:
                raise exceptions.ValidationError({"file": [
                    _("The file is over the limit of %(megabytes)s MB: split it into smaller files.")
                    % {"megabytes": f"{limit / 1_000_000:.0f}"}]})
            upload = request.data.get("file")
            if upload is None or not hasattr(upload, "read"):
                raise exceptions.ValidationError({"file": [_("Send the CSV file as the multipart field file.")]})
            given, field = {"file": upload, "file_name": upload.name or "", "size": upload.size}, "file"
        else:
            given, field = {"rows": _rows_of(request.data)}, "rows"

        def perform(key: str | None) -> tuple[Response, None]:
            try:
                job = bulk_job_create(actor=principal, organization=organization, idempotency_key=key,
                                      source=BulkJob.Source.API, **given)
            except DjangoValidationError as exc:
                raise _whole_input_error(exc, field) from None
            return job_response(job, status.HTTP_202_ACCEPTED), None

        def replay(earlier: IdempotentRequest) -> Response:
            # The job as it is now (its check has moved on since the first answer), if it is still kept.
            try:
                return job_response(bulk_job_get(principal=principal, organization=organization,
                                                 job_id=earlier.response.get("id", "")), status.HTTP_202_ACCEPTED)
            except Http404:
                return Response(earlier.response, status=earlier.status_code)
        return idempotent(request, perform, replay)


class BulkJobDetailView(ApiView):
    permissions_required = {"GET": READ_USERS, "DELETE": WRITE_USERS}

    @extend_schema(summary="One bulk job: its status, planned actions and progress (poll it)",
                   parameters=[JOB_ID], responses=BulkJobDetailSerializer, examples=examples.BULK_JOB_DETAIL,
                   description="Permission: users:read.")
    def get(self, request: Request, slug: str, job_id) -> Response:
        return job_response(job_of(request, slug, job_id))

    @extend_schema(summary="Discard a job that has not started (nothing of it was sent)", parameters=[JOB_ID],
                   request=None, responses={204: None, **JOB_RESPONSES},
                   description="Permission: users:write. Only a job that is checking or ready; it and its rows "
                               "are deleted.")
    def delete(self, request: Request, slug: str, job_id) -> Response:
        job = job_of(request, slug, job_id)
        job_act(bulk_job_discard, actor=principal_of(request), job=job)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BulkJobRowsView(ApiView):
    permissions_required = {"GET": READ_USERS}
    query_parameters = [choice("show", list(ROW_FILTERS)), SIZE_PARAMETER, *CURSOR_PARAMETERS]

    @extend_schema(
        summary="A bulk job's rows in the file's order: what the check planned and what happened",
        description="Permission: users:read. show narrows them: " + ", ".join(ROW_FILTERS) + ".",
        parameters=[JOB_ID, *openapi(query_parameters)],
        responses=BulkRowPageSerializer, examples=examples.BULK_ROW_LIST,
    )
    def get(self, request: Request, slug: str, job_id) -> Response:
        job = job_of(request, slug, job_id)
        query = query_read(request, self.query_parameters)
        rows = bulk_row_list(job=job, show=query.get("show", "")).select_related("operation")
        page = page_read(query, KeysetPaginator(rows, [SortKey("line"), SortKey("pk")], page_size_of(query)))
        return Response({"results": BulkRowSerializer(page.items, many=True).data,
                         "next_cursor": page.next_cursor, "previous_cursor": page.previous_cursor})


class CsvRenderer(BaseRenderer):
    """Lets a caller ask for the report as text/csv (the view answers the CSV itself, errors as JSON)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


class BulkJobReportView(ApiView):
    permissions_required = {"GET": READ_USERS}
    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(
        summary="A bulk job's report: per row, its cells, what was planned and what happened (CSV)",
        description="Permission: users:read. The columns line, planned, check, outcome, outcome_detail, "
                    "auth0_user_id, then the file's own.",
        parameters=[JOB_ID],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The report, UTF-8 CSV",
                                                      examples=examples.BULK_REPORT)},
    )
    def get(self, request: Request, slug: str, job_id):
        # An error is the API's JSON whatever the caller accepted (api.base); the report itself is CSV.
        job = job_of(request, slug, job_id)
        return csv_response(bulk_report_rows(job), filename=bulk_report_filename(job))


JOB_ACTS = {"start": bulk_job_start, "pause": bulk_job_pause, "resume": bulk_job_resume, "cancel": bulk_job_cancel}
ACT_SUMMARIES = {
    "start": ("Start a checked job (it must be ready)", "Its rows planned as invite, add or update are sent as "
              "operations, a window at a time; rows with an error or nothing to do are skipped."),
    "pause": ("Pause a running job", "No more rows are sent; those under way finish."),
    "resume": ("Resume a paused job", "Its rows not sent yet are sent again, a window at a time."),
    "cancel": ("Cancel a running or paused job", "Rows not sent yet never are (their outcome is cancelled); those "
               "under way finish."),
}


class BulkJobActView(ApiView):
    permissions_required = {"POST": WRITE_USERS}
    act = "start"

    def post(self, request: Request, slug: str, job_id) -> Response:
        job = job_of(request, slug, job_id)
        principal = principal_of(request)

        def perform(_key: str | None) -> tuple[Response, None]:
            return job_response(job_act(JOB_ACTS[self.act], actor=principal, job=job), status.HTTP_202_ACCEPTED), None

        def replay(earlier: IdempotentRequest) -> Response:
            return job_response(job, status.HTTP_202_ACCEPTED)
        return idempotent(request, perform, replay)


def _act_view(act: str) -> type[BulkJobActView]:
    summary, description = ACT_SUMMARIES[act]

    def post(self, request: Request, slug: str, job_id) -> Response:
        return BulkJobActView.post(self, request, slug, job_id)

    post = extend_schema(
        summary=summary, description=f"Permission: users:write. {description} Answers 202 with the job.",
        request=None, parameters=[JOB_ID, IDEMPOTENCY_PARAMETER], examples=examples.bulk_job_act(act),
        responses={202: OpenApiResponse(BulkJobDetailSerializer, description="The job, as it is now"),
                   **JOB_RESPONSES},
    )(post)
    return type(f"BulkJob{act.title()}View", (BulkJobActView,), {"act": act, "post": post})


BULK_JOB_ACT_VIEWS = {act: _act_view(act) for act in JOB_ACTS}
