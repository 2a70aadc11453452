"""axe-core in a page under the app's Content-Security-Policy: the checker is evaluated
through the browser's debugging protocol (which the policy does not govern), not added as an
inline script (which the policy refuses, as it should)."""

from pathlib import Path

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()


def axe_results(page) -> dict:
    """axe.run(document) on the page as it is."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate("async () => await axe.run(document)")
