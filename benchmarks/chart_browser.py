"""Time the drawn org chart in Chromium on a large design: from opening the page to the
chart drawn and still, then the frames of zooming and panning it (requestAnimationFrame).

    # a server on the benchmark database, and a login with access to bench-l:
    DJANGO_SETTINGS_MODULE=orgdesign.settings_test \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orgdesign_bench \\
        .venv/bin/python manage.py runserver --noreload 127.0.0.1:8012 &
    .venv/bin/python benchmarks/chart_browser.py http://127.0.0.1:8012 bench-l USER PASSWORD
"""

import statistics
import sys
import time

from playwright.sync_api import sync_playwright

FRAMES = """async () => {
  const chart = document.getElementById("org-picture");
  const deltas = [];
  let last = performance.now();
  let running = true;
  const tick = now => {
    deltas.push(now - last);
    last = now;
    if (running) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  const click = action => chart.querySelector(`[data-chart-action="${action}"]`).click();
  for (const action of ["zoom-in", "zoom-in", "zoom-out", "fit"]) {
    click(action);
    await new Promise(resolve => setTimeout(resolve, 500));
  }
  running = false;
  return deltas;
}"""


def main(base: str, slug: str, username: str, password: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        started = time.perf_counter()
        page.goto(f"{base}/orgs/{slug}/chart/")
        page.wait_for_selector('#org-picture[data-ready="true"]', timeout=60_000)
        ready = time.perf_counter() - started
        boxes = page.locator("#org-picture svg .oc-node").count()
        deltas = page.evaluate(FRAMES)
        deltas.sort()
        p95 = deltas[int(len(deltas) * 0.95) - 1]
        print(f"{boxes} boxes drawn; page opened to chart drawn and still: {ready:.2f} s")
        print(f"zoom in, in, out, fit: {len(deltas)} frames in 2 s, median "
              f"{statistics.median(deltas):.1f} ms, 95th percentile {p95:.1f} ms, "
              f"longest {deltas[-1]:.0f} ms")
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:5])
