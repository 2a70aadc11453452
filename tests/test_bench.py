"""`make bench` works: the benchmark script, at a tiny size, on the PostgreSQL test database,
writes every figure of docs/performance.md (issue 16) in the agreed shape. No time is
asserted: only that each figure was measured."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.servers import BASE_DIR, _database_url, needs_postgresql

FIGURES = {
    "matrix_page", "matrix_page_cold", "cell_edit", "findings", "chart_page",
    "capacity_page", "findings_plan", "api_findings_plan", "api_people_list",
    "people_sync_first", "people_sync_again", "people_csv_export", "scim_lookup",
    "scenario_copy", "matrix_peak_memory", "roster_preview_csv", "roster_preview_xlsx",
    "roster_apply_csv", "roster_apply_xlsx",
    "directory_pull_entra", "directory_pull_okta", "directory_pull_delta",
    "change_list_cold", "change_list_kept", "changes_page", "compare_page",
    "scenario_rebase", "scenario_merge", "fix_plan", "try_all_fixes",
    "health_backfill", "health_snapshot", "health_page", "as_of_matrix",
    "catalog_import", "matrix_page_catalog", "findings_catalog", "matrix_page_catalog_cold",
}
KEYS = {"median_ms", "min_ms", "max_ms", "floor_ms", "ratio", "queries", "extra"}


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_benchmark_writes_every_figure(tmp_path):
    wrk = shutil.which("wrk") is not None
    run = subprocess.run(
        [sys.executable, "benchmarks/bench.py", "T"], cwd=BASE_DIR, text=True,
        capture_output=True, timeout=600,
        env={**os.environ, "DATABASE_URL": _database_url(), "RUNS": "2",
             "BENCH_RESULTS": str(tmp_path), "THROUGHPUT_SECONDS": "1" if wrk else "0",
             "DJANGO_SETTINGS_MODULE": "orgdesign.settings_test"},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((tmp_path / "T.json").read_text())
    assert results["size"] == "T" and results["people"] == 400
    assert set(results["figures"]) == FIGURES
    for name, figure in results["figures"].items():
        assert set(figure) == KEYS, name
        assert figure["median_ms"] > 0, name
        assert figure["min_ms"] <= figure["median_ms"] <= figure["max_ms"], name
    for name in ("matrix_page", "findings", "api_people_list", "people_sync_first"):
        assert results["figures"][name]["floor_ms"] > 0, name
    assert results["figures"]["people_csv_export"]["extra"]["rows_per_s"] > 0
    assert results["figures"]["matrix_peak_memory"]["extra"]["peak_mb"] > 0
    assert results["figures"]["people_sync_first"]["extra"]["created"] == 400
    assert results["figures"]["people_sync_again"]["extra"]["written"] == 0
    for kind in ("entra", "okta"):
        assert results["figures"][f"directory_pull_{kind}"]["extra"]["created"] == 400
        assert results["figures"][f"directory_pull_{kind}"]["floor_ms"] > 0
    assert results["figures"]["directory_pull_delta"]["extra"]["updated"] == 100
    # The re-org's figures, each beside its floor (benchmarks/reorg_figures.py).
    for name in ("scenario_copy", "change_list_kept", "changes_page", "compare_page",
                 "scenario_rebase", "scenario_merge"):
        assert results["figures"][name]["floor_ms"] > 0, name
    assert results["figures"]["change_list_kept"]["queries"] == 1
    assert results["figures"]["scenario_merge"]["extra"]["changes"] == 100
    assert results["figures"]["fix_plan"]["queries"] == 0  # the engine asks no query
    for name in ("fix_plan", "try_all_fixes"):
        assert results["figures"][name]["floor_ms"] > 0, name
        assert results["figures"][name]["extra"]["steps"] > 0, name
    # Health over time (benchmarks/health_figures.py): the 90 days back-filled, then the
    # page with them, each beside a floor.
    assert results["figures"]["health_backfill"]["extra"]["backfilled"] == 90
    assert results["figures"]["health_page"]["extra"]["snapshots"] == 91
    for name in ("health_snapshot", "health_page", "as_of_matrix"):
        assert results["figures"][name]["floor_ms"] > 0, name
    # The software catalog (benchmarks/catalog_figures.py): twenty components a pipeline with
    # owners, imported, then judged on the matrix.
    catalog = results["figures"]["catalog_import"]["extra"]["components"]
    assert 0 < catalog <= 20 * 20
    assert results["figures"]["matrix_page_catalog"]["extra"]["catalog_findings"] > 0
    for name in ("roster_preview_csv", "roster_preview_xlsx", "roster_apply_csv",
                 "roster_apply_xlsx"):
        assert results["figures"][name]["extra"]["created"] == 400, name
    if wrk:
        throughput = results["throughput"]
        assert set(throughput) == {"healthz", "matrix_page", "api_people_list"}
        for name, measured in throughput.items():
            assert measured["requests_per_s"] > 0 and measured["non_2xx"] == 0, name
