"""CSV writing shared by every export: RFC 4180 quoting, streamed, safe for spreadsheets."""

import csv
from collections.abc import Iterable, Iterator

# OWASP CSV injection: a cell starting with one of these is read as a formula by
# spreadsheets. Such cells get a leading apostrophe, which import takes off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

BOM = "\ufeff"


def _looks_neutralised(text: str) -> bool:
    # Apostrophes, then a formula start: prefixing those too keeps `restore` exact for a
    # name that really begins with "'=".
    return text.lstrip("'").startswith(FORMULA_STARTS)


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if _looks_neutralised(text) else text


def restore(text: str) -> str:
    """The inverse of `neutralise`, for import: a round trip leaves names unchanged."""
    return text[1:] if text.startswith("'") and _looks_neutralised(text) else text


class _Echo:
    """A file-like object whose write hands the line back, for streaming."""

    def write(self, value: str) -> str:
        return value


def stream_rows(rows: Iterable[Iterable], *, bom: bool = False) -> Iterator[str]:
    writer = csv.writer(_Echo())
    if bom:
        yield BOM
    for row in rows:
        yield writer.writerow([neutralise(value) for value in row])
