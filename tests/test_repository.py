"""The repository stands on its own: nothing in it points at files a clone does not have."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = {
    ".git", ".venv", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis",
    "staticfiles", "results",
}
TEXT = {".py", ".md", ".html", ".css", ".js", ".toml", ".txt", ".sh", ".yml", ".cfg", ""}
# The vendored packages are kept as published.
VENDORED = ROOT / "static" / "vendor"


def repository_files():
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if any(part in SKIPPED or part.endswith(".egg-info") for part in parts):
            continue
        if path.is_file() and path.suffix in TEXT and VENDORED not in path.parents:
            yield path


def test_no_file_points_outside_the_repository():
    outside = re.compile(r"\.\./shared|/work/|\bshared/seeds\b")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in repository_files()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if outside.search(line) and path != Path(__file__).resolve()
    ]
    assert offenders == []


def test_the_docs_that_the_code_cites_are_in_the_repository():
    cited = set()
    for path in repository_files():
        cited.update(re.findall(r"\bdocs/[\w-]+\.md\b", path.read_text(errors="replace")))
    assert {"docs/design.md", "docs/domain.md", "docs/architecture.md"} <= cited
    assert [doc for doc in sorted(cited) if not (ROOT / doc).is_file()] == []
