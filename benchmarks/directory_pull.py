"""The directory connectors at size: the whole company pulled from a local fake of Microsoft
Graph (999 users a page, Graph's largest) and of Okta (200 a page, Okta's largest), served
over plain http from threads of the benchmark's own process, into organisations of their
own; then a delta round of a hundred changed users. `bench.py` sets each beside the same
people pushed through the API's sync (its `floor_ms`), so the ratio says what pulling costs
over pushing: the paging, the JSON, the mapping and the identities.
"""

import time

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgdesign.scenarios.services import design_delete
from teams import services
from teams.directory.connectors import connector_save
from teams.directory.pull import pull_connector
from teams.models import RunState
from tests.directory_fakes import FakeGraph, FakeOkta

CHANGED = 100


def _directories(records: list[dict]) -> tuple[FakeGraph, FakeOkta]:
    graph, okta = FakeGraph(), FakeOkta()
    graph.page_size = 999
    directory_id = {r["external_id"]: f"d{n:06d}" for n, r in enumerate(records)}
    for record in records:
        user_id = directory_id[record["external_id"]]
        manager = record["manager_external_id"]
        graph.add(user_id, displayName=record["name"], mail=record["email"],
                  userPrincipalName=record["email"], jobTitle=record["title"],
                  employeeId=record["external_id"], employeeType="Employee",
                  manager=directory_id.get(manager) if manager else None)
        okta.add(user_id, displayName=record["name"], email=record["email"],
                 login=record["email"], title=record["title"],
                 employeeNumber=record["external_id"], managerId=manager or "")
    return graph.start(), okta.start()


def _pull(connector) -> tuple[float, int, object]:
    connector.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        run = pull_connector(connector=connector)
        elapsed = (time.perf_counter() - started) * 1000
    assert run.state == RunState.DONE, run.error
    return elapsed, len(queries), run


def pull_figures(records: list[dict], slug: str, figure, push_ms: float) -> dict:
    """directory_pull_entra, directory_pull_okta (first runs: everyone created) and
    directory_pull_delta (Entra: a hundred users changed since)."""
    settings.ORGDESIGN_DIRECTORY_ALLOW_HTTP = True
    graph, okta = _directories(records)
    figures = {}
    made = []
    try:
        for kind, fake in (("entra", graph), ("okta", okta)):
            target = services.organisation_create(slug=f"{slug}-{kind}",
                                                  name=f"make bench {kind}")
            made.append(target)
            options = ({"login_url": fake.url, "tenant_id": fake.tenant,
                        "client_id": fake.client_id, "secret": fake.secret}
                       if kind == "entra" else {"secret": fake.token})
            connector = connector_save(organisation=target, kind=kind, url=fake.url,
                                       **options)
            elapsed, queries, run = _pull(connector)
            figures[f"directory_pull_{kind}"] = figure(
                [elapsed], queries, push_ms, created=run.counts["created"],
                requests=len(fake.requests), people_per_s=round(len(records) / elapsed * 1000))
            if kind == "entra":
                for record in records[:CHANGED]:
                    n = int(record["external_id"].removeprefix("E"))
                    graph.change(f"d{n:06d}", jobTitle="Staff engineer")
                before = len(graph.requests)
                elapsed, queries, run = _pull(connector)
                figures["directory_pull_delta"] = figure(
                    [elapsed], queries, None, updated=run.counts["updated"],
                    requests=len(graph.requests) - before)
    finally:
        graph.stop()
        okta.stop()
        for target in made:
            design_delete(target)
    return figures
