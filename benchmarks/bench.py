"""`make bench` (size M) and `make bench SIZE=L`: build the organisation of docs/design.md section 5
on PostgreSQL, measure each figure over repeated runs after a warm-up (median, min, max),
measure the floor of each in the same run with plain psycopg (a SELECT of the same rows, a
COPY of the same rows), and write `benchmarks/results/<size>.json`:

    {"size": "M", "figures": {"<name>": {"median_ms", "min_ms", "max_ms", "floor_ms",
                                         "ratio", "queries", "extra": {...}}}}

In-process through Django's test client (the whole request: middleware, queries, analysis,
rendering; no network). Absolute times on a shared 2-core machine are noisy: the ratios and
the query counts are what budgets hold. matrix_peak_memory is a fresh process of its own
(benchmarks/peak_memory.py); the throughput, gunicorn under `wrk` for THROUGHPUT_SECONDS on
each URL beside /healthz (benchmarks/throughput.py), is skipped when wrk is missing or
THROUGHPUT_SECONDS=0. Size T is a tiny run that proves the script works.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orgdesign_bench \\
        .venv/bin/python benchmarks/bench.py M
"""

import json
import os
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgdesign.settings_test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from benchmarks import roster_files  # noqa: E402
from benchmarks.catalog_figures import catalog_figures  # noqa: E402
from benchmarks.directory_pull import pull_figures  # noqa: E402
from benchmarks.health_figures import health_figures  # noqa: E402
from benchmarks.reorg_figures import reorg_figures  # noqa: E402
from benchmarks.sync_people import batch  # noqa: E402
from benchmarks.throughput import measure  # noqa: E402
from benchmarks.timing import client_in  # noqa: E402
from orgdesign.analysis.loader import load_org_data  # noqa: E402
from orgdesign.scenarios.services import design_delete  # noqa: E402
from pipelines.generator import generate_org  # noqa: E402
from pipelines.models import Engagement  # noqa: E402
from teams import services  # noqa: E402
from teams.actor import SYSTEM  # noqa: E402
from teams.models import Organisation, Person  # noqa: E402
from teams.roster_import import (  # noqa: E402
    apply_roster,
    parse_roster,
    people_fingerprint,
    preview_roster,
)
from teams.tokens import token_create  # noqa: E402

SIZES = {
    # T: a tiny run that proves the script works (CI), in seconds.
    "T": {"people": 400, "teams": 20, "pipelines": 20},
    "M": {"people": 1_000, "teams": 40, "pipelines": 100},
    "L": {"people": 50_000, "teams": 400, "pipelines": 1_000},
}
RUNS = int(os.environ.get("RUNS", "5"))
# Seconds of load on each URL against gunicorn (benchmarks/throughput.py); 0 skips it, as
# size T does unless told.
THROUGHPUT_SECONDS = os.environ.get("THROUGHPUT_SECONDS")
RESULTS = Path(os.environ.get("BENCH_RESULTS", Path(__file__).resolve().parent / "results"))


def timed(call, runs: int = RUNS) -> tuple[list[float], int]:
    """Milliseconds of each run after one warm-up, and the queries of the last run."""
    call()
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
    return timings, len(queries)


def floor_of(sql_calls) -> float:
    """Median milliseconds of the statements with the bare psycopg connection."""
    raw = connection.connection  # psycopg's own, under Django's wrapper
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        with raw.cursor() as cursor:
            for sql, params in sql_calls:
                if sql.startswith("DECLARE"):  # a server-side cursor Django opened: its query
                    sql = sql[sql.index("SELECT"):]
                cursor.execute(sql, params)
                if cursor.description:
                    cursor.fetchall()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def figure(timings: list[float], queries: int | None, floor: float | None, **extra) -> dict:
    median = statistics.median(timings)
    return {
        "median_ms": round(median, 2), "min_ms": round(min(timings), 2),
        "max_ms": round(max(timings), 2),
        "floor_ms": round(floor, 2) if floor is not None else None,
        "ratio": round(median / floor, 1) if floor else None,
        "queries": queries, "extra": extra,
    }


def captured_floor(call) -> float:
    """The floor of a call: the very statements it sends (as PostgreSQL received them, the
    same rows and columns), run again with the bare psycopg connection."""
    with CaptureQueriesContext(connection) as queries:
        call()
    return floor_of([(query["sql"], None) for query in queries])


def design_floor(organisation: Organisation) -> float:
    """The five reads every analysis starts from (orgdesign.analysis.loader)."""
    return captured_floor(lambda: load_org_data(organisation))


def get(client: Client, url: str):
    def call():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if response.streaming:
            b"".join(response.streaming_content)
    return call


def copy_floor(records: list[dict], organisation: Organisation) -> float:
    """COPY of the same rows into the tables the sync writes (people and their history, with
    every index and constraint), rolled back: the least a load of them into this schema
    costs. The text is made before the clock starts."""
    import psycopg

    now = "2026-01-01 00:00:00+00"
    people = "".join(
        f"api\t{organisation.pk}\t{r['external_id']}\t{r['name']}\t{r['email']}\t\t\t\t"
        f"{r['title']}\t\t{r['role']}\tt\temployee\t\t\t{now}\t{now}\n"
        for r in records
    )
    entries = "".join(
        f"{10**12 + n}\tapi\t{organisation.pk}\t{r['external_id']}\t{r['name']}\t"
        f"{r['email']}\t\t\t\t{r['title']}\t\t{r['role']}\tt\temployee\t\t\t{now}\t{now}\t+\t"
        f"{organisation.pk}\n"
        for n, r in enumerate(records)
    )
    columns = ("updated_via, organisation_id, external_id, name, email, user_name, given_name, "
               "family_name, title, department, role, active, worker_type, user_type, level, "
               "created_at")
    raw = connection.connection
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        try:
            with raw.transaction(), raw.cursor() as cursor:
                with cursor.copy(f"COPY teams_person ({columns}, updated_at) FROM STDIN") as copy:
                    copy.write(people)
                with cursor.copy(f"COPY teams_historicalperson (id, {columns}, history_date, "
                                 "history_type, history_org) FROM STDIN") as copy:
                    copy.write(entries)
                raise psycopg.Rollback
        finally:
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def cold_page(client: Client, url: str, organisation: Organisation):
    """The page first after a write: a change to one person's title (not timed) gives the
    design a new version, so the page reads and analyses it again."""
    person = Person.objects.filter(organisation=organisation).order_by("id").first()
    counter = iter(range(10**6))

    def write():
        services.person_update(person=person, title=f"Title {next(counter)}")

    return write, get(client, url)


def timed_after(prepare, call, runs: int = RUNS) -> tuple[list[float], int]:
    """Like `timed`, with `prepare()` run untimed before each run."""
    prepare()
    call()
    timings = []
    for _ in range(runs):
        prepare()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
    return timings, len(queries)


def cell_edit(client: Client, organisation: Organisation):
    """One cell of the matrix changed back and forth through the browser's POST, as the page
    does, answered with the row, the column and the counters."""
    engagement = Engagement.objects.filter(pipeline__organisation=organisation,
                                           role="owner").order_by("id").first()
    url = f"/orgs/{organisation.slug}/cells/{engagement.pipeline_id}/{engagement.team_id}/"
    state = {"role": "owner"}

    def call():
        role = "contributor" if state["role"] == "owner" else "owner"
        response = client.post(url, {"role": role, "expected": state["role"]},
                               HTTP_HX_REQUEST="true")
        assert response.status_code == 200, response.status_code
        state["role"] = role

    return call


def peak_memory(username: str, path: str) -> float:
    """Peak MB of a fresh process rendering `path` (benchmarks/peak_memory.py)."""
    output = subprocess.run(
        [sys.executable, str(Path(__file__).parent / "peak_memory.py"), username, path],
        capture_output=True, text=True, check=True, env=os.environ,
    ).stdout
    return float(output.strip().splitlines()[-1])


def export_peak_mb(client: Client, url: str) -> float:
    """The most memory Python held while streaming an export (tracemalloc)."""
    tracemalloc.start()
    try:
        response = client.get(url)
        for _ in response.streaming_content:
            pass
        return round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    finally:
        tracemalloc.stop()


def main(size: str) -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench measures PostgreSQL: set DATABASE_URL=postgres://...")
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"api": "100000000/min"}}
    shape = SIZES[size]
    slug = f"bench-{size.lower()}-make"
    for old in Organisation.objects.filter(slug__startswith=slug):
        design_delete(old)
    # What earlier runs deleted still fills the tables where autovacuum is off (as on the
    # machine of docs/performance.md), and even where it is on, their pages stay: compact
    # them, or each run reads the dead rows of the runs before it.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (FULL, ANALYZE)")
    organisation = services.organisation_create(slug=slug, name=f"make bench {size}")
    started = time.perf_counter()
    generate_org(organisation, seed=1, **shape)
    print(f"built {slug} in {time.perf_counter() - started:.1f} s", flush=True)
    viewer = client_in(organisation, username="bench-make-viewer")
    editor = client_in(organisation, username="bench-make-editor", role="editor")
    _, key = token_create(organisation=organisation, name="bench", scope="read")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    floor = design_floor(organisation)
    figures = {}
    matrix_url = f"/orgs/{slug}/"
    for name, url in (("matrix_page", matrix_url), ("findings", f"/orgs/{slug}/findings/"),
                      ("chart_page", f"/orgs/{slug}/chart/"),
                      ("capacity_page", f"/orgs/{slug}/capacity/"),
                      ("findings_plan", f"/orgs/{slug}/findings/?plan=1"),
                      ("api_findings_plan", f"/api/v1/orgs/{slug}/findings/?plan=1")):
        figures[name] = figure(*timed(get(viewer, url)), floor)
        print(name, figures[name], flush=True)
    figures["matrix_page_cold"] = figure(
        *timed_after(*cold_page(viewer, matrix_url, organisation)), floor)
    print("matrix_page_cold", figures["matrix_page_cold"], flush=True)
    editor.get(matrix_url)
    figures["cell_edit"] = figure(*timed(cell_edit(editor, organisation)), None)
    print("cell_edit", figures["cell_edit"], flush=True)
    peak = peak_memory("bench-make-viewer", matrix_url)
    figures["matrix_peak_memory"] = figure([peak], None, None, peak_mb=peak)
    print("matrix_peak_memory", figures["matrix_peak_memory"], flush=True)

    figures["api_people_list"] = figure(
        *timed(get(api, f"/api/v1/orgs/{slug}/people/")),
        floor_of([("SELECT p.*, m.external_id FROM teams_person p LEFT JOIN teams_person m "
                   "ON m.id = p.manager_id WHERE p.organisation_id = %s "
                   "ORDER BY p.name, p.id LIMIT 100", [organisation.pk])]),
    )
    print("api_people_list", figures["api_people_list"], flush=True)

    people = Person.objects.filter(organisation=organisation).count()
    export_url = f"/orgs/{slug}/export/people.csv"
    timings, queries = timed(get(viewer, export_url))
    # The export's own two reads (people, memberships), without the session's.
    with CaptureQueriesContext(connection) as captured:
        get(viewer, export_url)()
    export_floor = floor_of([(query["sql"], None) for query in captured[-2:]])
    figures["people_csv_export"] = figure(
        timings, queries, export_floor,
        rows=people, rows_per_s=round(people / (statistics.median(timings) / 1000)),
        peak_mb=export_peak_mb(viewer, export_url),
    )
    print("people_csv_export", figures["people_csv_export"], flush=True)

    someone = Person.objects.filter(organisation=organisation).exclude(external_id="").first()
    figures["scim_lookup"] = figure(
        *timed(get(api, f'/scim/v2/Users?filter=externalId eq "{someone.external_id}"')),
        floor_of([("SELECT * FROM teams_person WHERE organisation_id = %s AND "
                   "external_id = %s", [organisation.pk, someone.external_id])]),
    )
    print("scim_lookup", figures["scim_lookup"], flush=True)

    # The sync: the whole company, new, into an organisation of its own; then again.
    sync_org = services.organisation_create(slug=f"{slug}-sync", name="make bench sync")
    floor_org = services.organisation_create(slug=f"{slug}-floor", name="make bench floor")
    services.team_create(organisation=sync_org, name="Platform", kind="infrastructure")
    _, write_key = token_create(organisation=sync_org, name="bench", scope="write")
    writer = Client(HTTP_AUTHORIZATION=f"Bearer {write_key}")
    records = batch(shape["people"], "Engineer")
    body = json.dumps({"people": records})

    def sync():
        response = writer.post(f"/api/v1/orgs/{sync_org.slug}/people/sync/", body,
                               content_type="application/json")
        assert response.status_code == 200, response.content[:300]
        return response.json()

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        first = sync()
        first_ms = (time.perf_counter() - started) * 1000
    floor = copy_floor(records, floor_org)
    figures["people_sync_first"] = figure([first_ms], len(queries), floor,
                                          created=first["created"])
    timings, queries = timed(sync, runs=max(1, RUNS // 2))
    again = sync()
    figures["people_sync_again"] = figure(timings, queries, floor,
                                          unchanged=again["unchanged"],
                                          written=again["created"] + again["updated"])
    print("people_sync", figures["people_sync_first"], figures["people_sync_again"], flush=True)

    # The same people pulled from a directory (Entra ID, Okta), beside the push above.
    pulls = pull_figures(records, slug, figure, push_ms=first_ms)
    figures.update(pulls)
    print("directory_pull", pulls, flush=True)

    # A reviewed re-org: the copy, its change list, the changes and compare pages, a rebase
    # and a merge of a hundred changes each (benchmarks/reorg_figures.py).
    reorg, scenarios = reorg_figures(organisation, figure, timed, captured_floor, get, RUNS)
    figures.update(reorg)

    # An HR system's export (BambooHR's shape, managers by name) of the whole company into an
    # organisation of its own: previewed through the import page as CSV and as .xlsx, then
    # applied as the worker applies it (read again, then the bulk sync).
    import_org = services.organisation_create(slug=f"{slug}-import", name="make bench import")
    importer = client_in(import_org, username="bench-make-importer", role="editor")
    for name, data, filename in (("roster_preview_csv", roster_files.as_csv(shape["people"]),
                                  "people.csv"),
                                 ("roster_preview_xlsx", roster_files.as_xlsx(shape["people"]),
                                  "people.xlsx")):
        def preview(data=data, filename=filename):
            response = importer.post(f"/orgs/{import_org.slug}/import/people/", {
                "file": SimpleUploadedFile(filename, data), "mode": "delta"})
            page = response.content.decode()
            assert 'data-import-state="preview"' in page, page[:2000]
            return int(re.search(r"<strong>(\d+)</strong> created", page)[1])
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            created = preview()
            elapsed = (time.perf_counter() - started) * 1000
        figures[name] = figure([elapsed], len(queries), None, bytes=len(data),
                               created=created)
        print(name, figures[name], flush=True)
    # The apply, as the worker makes it: the kept file read again, checked against the
    # preview's fingerprint, synced. Each into an organisation of its own (all new people).
    for name, data in (("roster_apply_csv", roster_files.as_csv(shape["people"])),
                       ("roster_apply_xlsx", roster_files.as_xlsx(shape["people"]))):
        target = services.organisation_create(slug=f"{slug}-{name.replace('_', '-')}",
                                              name=f"make bench {name}")
        fingerprint = people_fingerprint(preview_roster(
            organisation=target, roster=parse_roster(data, organisation=target), mode="delta",
            actor=SYSTEM))
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = apply_roster(organisation=target, roster=parse_roster(
                data, organisation=target), mode="delta", fingerprint=fingerprint,
                actor=SYSTEM)
            elapsed = (time.perf_counter() - started) * 1000
        figures[name] = figure([elapsed], len(queries), None, created=result.created)
        print(name, figures[name], flush=True)
        design_delete(target)

    # Health over time: the first snapshot's back-fill, a daily snapshot, the health page
    # and the matrix as of 60 days ago (benchmarks/health_figures.py).
    figures.update(health_figures(organisation, viewer, figure, timed, timed_after,
                                  captured_floor, get, design_floor(organisation)))
    # A software catalog of twenty components a pipeline (20,000 at L), imported, then the
    # matrix and findings with it (benchmarks/catalog_figures.py).
    figures.update(catalog_figures(organisation, viewer, figure, timed, timed_after,
                                   captured_floor, get, cold_page))

    throughput = None
    seconds = int(THROUGHPUT_SECONDS or (0 if size == "T" else 30))
    if seconds:
        # gunicorn's processes read what the bench wrote (it runs in autocommit), the
        # viewer's session included.
        session = {"Cookie": f"sessionid={viewer.cookies['sessionid'].value}"}
        throughput = measure({
            "healthz": ("/healthz", {}),
            "matrix_page": (matrix_url, session),
            "api_people_list": (f"/api/v1/orgs/{slug}/people/",
                                {"Authorization": f"Bearer {key}"}),
        }, seconds)

    for leftover in (*scenarios, sync_org, floor_org, import_org, organisation):
        design_delete(leftover)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{size}.json"
    path.write_text(json.dumps({"size": size, "people": people, "runs": RUNS,
                                "figures": figures, "throughput": throughput,
                                "throughput_seconds": seconds}, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1].upper() if len(sys.argv) > 1 else "M")
