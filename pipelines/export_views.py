"""CSV exports of a design (DESIGN.md section 4), streamed so memory stays flat whatever the
size, each in a fixed number of queries.

They answer logged-in users with a role in the organisation and the organisation's API
tokens (`Authorization: Bearer <token>`; read scope suffices), so an HR system or a script can
fetch them. The file name carries the organisation and the date; `?bom=1` starts the file
with a byte-order mark so Excel reads non-ASCII names right.
"""

from collections.abc import Callable, Iterable, Iterator
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from orgdesign.access import get_org_for_user
from orgdesign.analysis.findings import compute_findings
from orgdesign.analysis.loader import load_org_data
from orgdesign.analysis.matrix import MatrixFilters, build_columns, build_rows, filter_pipelines
from orgdesign.analysis.orgdata import OrgIndex
from orgdesign.bearer import BadToken, token_from_request
from pipelines.csv_format import stream_rows
from teams.forms import PersonFilterForm
from teams.models import Membership, Organisation, Person

MATRIX_COLUMNS = ["pipeline", "pm_owner", "lifecycle"]
ENGAGEMENT_COLUMNS = [
    "pipeline", "pm_owner", "team", "team_kind", "stage", "role", "team_in_ml_org",
]
PEOPLE_COLUMNS = [
    "external_id", "name", "email", "title", "role", "manager_external_id", "active", "teams",
]
FINDING_COLUMNS = [
    "code", "severity", "subject_type", "subject_id", "subject_name", "message", "base_severity"
]

# Rows fetched from the database at a time by the people export.
CHUNK_SIZE = 2000


def _unauthorised(message: str) -> HttpResponse:
    response = HttpResponse(message, status=401, content_type="text/plain; charset=utf-8")
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def export_view(view: Callable[[HttpRequest, Organisation], HttpResponse]):
    """A GET view of an organisation, for a bearer token of that organisation (one query,
    two the first time in a minute it is used) or a login with a role in it (three)."""

    @require_GET
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str) -> HttpResponse:
        try:
            token = token_from_request(request)
        except BadToken as error:
            return _unauthorised(str(error))
        if token is not None:
            if token.organisation.slug != slug:
                # As if it did not exist: a token cannot learn which slugs are taken.
                raise Http404("No such organisation.")
            return view(request, token.organisation)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, get_org_for_user(request, slug))

    return wrapper


def _csv_response(
    rows: Iterable[Iterable], *, organisation: Organisation, name: str, request: HttpRequest
) -> StreamingHttpResponse:
    filename = f"{organisation.slug}-{name}-{timezone.localdate().isoformat()}.csv"
    response = StreamingHttpResponse(
        stream_rows(rows, bom=request.GET.get("bom") == "1"),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _yes_no(value: bool | None) -> str:
    """true, false, or empty when unknown (a team without an active lead)."""
    return "" if value is None else "true" if value else "false"


@export_view
def export_matrix(request, organisation):
    """matrix.csv: pipeline, pm_owner, lifecycle, then one column per team (its role or
    empty), filtered like the matrix page when its filters are given."""
    data = load_org_data(organisation)
    index = OrgIndex(data)
    filters = MatrixFilters.from_query(request.GET)
    findings = compute_findings(data, index) if filters.errors_only else []
    groups = build_columns(index, findings, kind=filters.kind)
    teams = [column.team for group in groups for column in group.columns]
    pipelines = filter_pipelines(index, findings, filters)

    def rows():
        yield [*MATRIX_COLUMNS, *(team.name for team in teams)]
        for row in build_rows(index, pipelines, groups, []):
            yield [row.pipeline.name, row.pm_name, row.pipeline.lifecycle,
                   *(cell.role for cell in row.cells)]

    return _csv_response(rows(), organisation=organisation, name="matrix", request=request)


@export_view
def export_engagements(request, organisation):
    """engagements.csv: one row per engaged cell of the matrix, in the matrix's order, with
    the team's kind, the stage it covers and whether it is in the ML org; filtered like the
    matrix page."""
    data = load_org_data(organisation)
    index = OrgIndex(data)
    filters = MatrixFilters.from_query(request.GET)
    findings = compute_findings(data, index) if filters.errors_only else []
    columns = [
        column
        for group in build_columns(index, findings, kind=filters.kind)
        for column in group.columns
    ]
    pipelines = filter_pipelines(index, findings, filters)

    def rows():
        yield ENGAGEMENT_COLUMNS
        for pipeline in pipelines:
            roles = {e.team_id: e.role for e in index.engagements_by_pipeline.get(pipeline.id, ())}
            pm_name = index.person_name(pipeline.pm_owner_id) if pipeline.pm_owner_id else ""
            for column in columns:
                if role := roles.get(column.team.id):
                    yield [pipeline.name, pm_name, column.team.name, column.team.kind,
                           column.stage or "", role, _yes_no(column.in_ml_org)]

    return _csv_response(rows(), organisation=organisation, name="engagements", request=request)


@export_view
def export_findings(request, organisation):
    """findings.csv: every finding in the findings page's order, or those of `severity` and
    `code` when given, like the page's filters."""
    data = load_org_data(organisation)
    findings = compute_findings(data, OrgIndex(data))
    severity = request.GET.get("severity", "")
    code = request.GET.get("code", "")

    def rows():
        yield FINDING_COLUMNS
        for finding in findings:
            if (severity and finding.severity != severity) or (code and finding.code != code):
                continue
            subject = finding.subject
            yield [finding.code, finding.severity, subject.type, subject.id, subject.name,
                   finding.message, finding.base_severity]

    return _csv_response(rows(), organisation=organisation, name="findings", request=request)


def _people_filter(organisation: Organisation, query, prefix: str = "") -> Q:
    """The people page's filters (search, status, role) as a condition, on the people
    themselves or, with `prefix`, on rows that point at them."""
    filters = PersonFilterForm(query)
    filters.is_valid()  # like the page: a bad value is left out, so it is ignored
    wanted = filters.cleaned_data
    condition = Q(**{f"{prefix}organisation": organisation})
    if text := wanted.get("q"):
        condition &= (
            Q(**{f"{prefix}name__icontains": text})
            | Q(**{f"{prefix}email__icontains": text})
            | Q(**{f"{prefix}external_id__icontains": text})
        )
    if status := wanted.get("status"):
        condition &= Q(**{f"{prefix}active": status == "active"})
    if role := wanted.get("role"):
        condition &= Q(**{f"{prefix}role": role})
    return condition


def _with_teams(people: Iterator[tuple], memberships: Iterator[tuple]) -> Iterator[list]:
    """people.csv rows from two streams ordered by person id: people, and their memberships
    (person id, team name, allocation), merged as they come so nothing is held."""
    pending = next(memberships, None)
    for person_id, *fields, active in people:
        teams = []
        # Memberships of a person who appeared between the two queries have no row: skip.
        while pending is not None and pending[0] <= person_id:
            if pending[0] == person_id:
                teams.append(f"{pending[1]}:{pending[2]}")
            pending = next(memberships, None)
        yield [*fields, "true" if active else "false", ";".join(teams)]


@export_view
def export_people(request, organisation):
    """people.csv, the format the import reads back: everyone (or those matching the people
    page's filters) in the order they were added, with their teams as `Team A:60;Team B:40`,
    largest allocation first. Two queries, read in chunks."""
    people = (
        Person.objects.filter(_people_filter(organisation, request.GET))
        .order_by("id")
        .values_list("id", "external_id", "name", "email", "title", "role",
                     "manager__external_id", "active")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    memberships = (
        Membership.objects.filter(_people_filter(organisation, request.GET, prefix="person__"))
        .order_by("person_id", "-allocation", "team__name")
        .values_list("person_id", "team__name", "allocation")
        .iterator(chunk_size=CHUNK_SIZE)
    )

    def rows():
        yield PEOPLE_COLUMNS
        yield from _with_teams(people, memberships)

    return _csv_response(rows(), organisation=organisation, name="people", request=request)
