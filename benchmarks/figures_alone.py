"""Some figures of `make bench` alone, on a generated design of the size given (T, M or L),
kept in the bench database between runs (`--fresh` builds it again): the health figures
(benchmarks/health_figures.py) or the software catalog's (benchmarks/catalog_figures.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orgdesign_bench \\
        .venv/bin/python benchmarks/figures_alone.py L health
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# bench sets Django up, so it comes first.
from benchmarks.bench import (  # noqa: E402
    SIZES,
    captured_floor,
    cold_page,
    design_floor,
    figure,
    get,
    timed,
    timed_after,
)
from benchmarks.catalog_figures import catalog_figures  # noqa: E402
from benchmarks.health_figures import health_figures  # noqa: E402
from benchmarks.timing import client_in  # noqa: E402
from orgdesign.scenarios.services import design_delete  # noqa: E402
from pipelines.generator import generate_org  # noqa: E402
from teams import services  # noqa: E402
from teams.models import Organisation  # noqa: E402


def main(size: str, which: str) -> None:
    slug = f"bench-{size.lower()}-alone"
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is not None and "--fresh" in sys.argv:
        design_delete(organisation)
        organisation = None
    if organisation is None:
        organisation = services.organisation_create(slug=slug, name=f"bench alone {size}")
        generate_org(organisation, seed=1, **SIZES[size])
    viewer = client_in(organisation, username="bench-alone-viewer")
    if which == "health":
        figures = health_figures(organisation, viewer, figure, timed, timed_after,
                                 captured_floor, get, design_floor(organisation))
    else:
        figures = catalog_figures(organisation, viewer, figure, timed, timed_after,
                                  captured_floor, get, cold_page)
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    arguments = [argument for argument in sys.argv[1:] if not argument.startswith("--")]
    main(arguments[0].upper() if arguments else "M",
         arguments[1] if len(arguments) > 1 else "health")
