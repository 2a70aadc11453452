"""CSV writing shared by every export: RFC 4180 quoting, streamed, safe for spreadsheets;
and the reading every import shares, of CSV files and .xlsx workbooks (`read_table`)."""

import csv
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from orgdesign.csvio import spreadsheet

# OWASP CSV injection: a cell starting with one of these is read as a formula by
# spreadsheets. Such cells get a leading apostrophe, which import takes off again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

BOM = "\ufeff"


def _looks_neutralised(text: str) -> bool:
    # Apostrophes, then a formula start: prefixing those too keeps `restore` exact for a
    # name that really begins with "'=".
    return text.lstrip("'").startswith(FORMULA_STARTS)


# The first characters of a cell `neutralise` must look further at.
_RISKY_FIRST = frozenset("".join(FORMULA_STARTS) + "'")


def neutralise(value) -> str:
    text = "" if value is None else value if type(value) is str else str(value)
    if text and text[0] in _RISKY_FIRST and _looks_neutralised(text):
        return "'" + text
    return text


def restore(text: str) -> str:
    """The inverse of `neutralise`, for import: a round trip leaves names unchanged."""
    return text[1:] if text.startswith("'") and _looks_neutralised(text) else text


# Rows written between two pieces of a streamed export: a piece a row made the response
# handle 50,000 pieces for people.csv at L, a third of its time.
ROWS_A_PIECE = 500


def stream_rows(rows: Iterable[Iterable], *, bom: bool = False) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        buffer.write(BOM)
    for count, row in enumerate(rows, 1):
        writer.writerow([neutralise(value) for value in row])
        if count % ROWS_A_PIECE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


# Reading -------------------------------------------------------------------------------------
#
# Imports take what spreadsheets and HR systems write: UTF-8 with or without a byte-order
# mark, Windows-1252 (Excel's "CSV" on Western Windows), UTF-16 with a BOM (Excel's "Unicode
# text"), separated by commas, semicolons (Excel where the decimal mark is a comma) or tabs.

SEPARATORS = (",", ";", "\t")
SEPARATOR_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}

# The first bytes of files people upload by mistake, and what to tell them. An .xlsx workbook
# is read (`read_table`); `spreadsheet.refusal_of_other_file` tells what other workbooks are.
_WORKBOOK = (
    "This is a spreadsheet workbook, not a CSV file. In your spreadsheet, save or download "
    "the sheet as .xlsx or CSV and upload that."
)
_SIGNATURES = (
    (b"PK\x03\x04", _WORKBOOK),  # .ods, damaged zips
    (b"\xd0\xcf\x11\xe0", _WORKBOOK),  # .xls (OLE2)
    (b"\x89PNG", "This is a PNG image, not a CSV file."),
    (b"\xff\xd8\xff", "This is a JPEG image, not a CSV file."),
    (b"GIF8", "This is a GIF image, not a CSV file."),
    (b"%PDF", "This is a PDF document, not a CSV file."),
)
_CONTROL = {chr(code) for code in (*range(0, 9), 11, 12, *range(14, 32), 127)}


class CsvFileError(Exception):
    """The upload cannot be read as a CSV table; the message says why, for the person."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Problem:
    """Why (part of) an upload cannot be imported, and where: a line and a column."""

    message: str
    line: int | None = None  # the spreadsheet row: the header is line 1
    column: str = ""  # the column as the file names it (its header), or its letter


@dataclass
class TableRow:
    line: int  # the row number a spreadsheet shows: the header is 1
    cells: list[str]


@dataclass
class Table:
    header: list[str]
    rows: list[TableRow]
    encoding: str  # for a workbook: "Excel workbook, sheet “People”"
    separator: str  # for a workbook: ""
    sheet: str | None = None  # the sheet of a workbook that was read

    @property
    def separator_name(self) -> str:
        return "cell" if self.sheet is not None else SEPARATOR_NAMES[self.separator]


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text of an upload and the name of its encoding, or a CsvFileError saying why not."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise CsvFileError("The file is empty.")
    for signature, message in _SIGNATURES:
        if data.startswith(signature):
            raise CsvFileError(message)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise CsvFileError("The file starts like UTF-16 text but is not.") from error
        if "\x00" in text:
            raise CsvFileError(
                "The file contains a NUL character, which is not text. Save it again from "
                "the spreadsheet or HR system it came from."
            )
        return text, "UTF-16"
    if b"\x00" in data:
        raise CsvFileError(
            "This is not a text file (it contains binary data). Upload a CSV file saved "
            "from a spreadsheet or exported from your HR system."
        )
    try:
        text = data.decode("utf-8-sig")
        encoding = "UTF-8 with byte-order mark" if data.startswith(BOM.encode()) else "UTF-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError as error:
            raise CsvFileError(
                "The file is neither UTF-8 nor Windows-1252 text. Save it as “CSV UTF-8”."
            ) from error
    if sum(char in _CONTROL for char in text) > len(text) // 100:
        raise CsvFileError(
            "This is not a text file (it contains control characters). Upload a CSV file."
        )
    return text, encoding


def sniff_separator(header_line: str) -> str:
    """The separator the header line uses most, outside quotes; a comma when it has none."""
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(SEPARATORS, key=lambda separator: counts[separator])  # ties: the first, a comma
    return best if counts[best] else ","


def clean_cell(cell: str) -> str:
    """A cell as the design stores it: outer spaces trimmed, export's neutralising undone."""
    return restore(cell.strip())


# The sheet an import reads from a workbook, when the person named one: the import's views
# set it around their reading (`sheet_chosen`), so the importers call `read_table(data)`.
_CHOSEN_SHEET: ContextVar[str | None] = ContextVar("orgdesign_import_sheet", default=None)


@contextmanager
def sheet_chosen(name: str | None):
    """Within it, `read_table` reads the sheet `name` of a workbook (None: the first)."""
    token = _CHOSEN_SHEET.set((name or "").strip() or None)
    try:
        yield
    finally:
        _CHOSEN_SHEET.reset(token)


def chosen_sheet() -> str | None:
    return _CHOSEN_SHEET.get()


def read_table(data: bytes, *, sheet: str | None = None) -> Table:
    """The header and the non-blank rows of a CSV upload or of one sheet of an .xlsx workbook
    (told by content, never by the file's name: the first visible sheet, or `sheet`, else the
    one `sheet_chosen` names), cells cleaned (see `clean_cell`)."""
    if spreadsheet.is_xlsx(data):
        return _read_workbook(data, sheet if sheet is not None else chosen_sheet())
    refusal = spreadsheet.refusal_of_other_file(data)
    if refusal:
        raise CsvFileError(refusal)
    text, encoding = decode_csv(data)
    separator = sniff_separator(text.lstrip().split("\n", 1)[0])
    header, rows = _header_and_rows(_csv_lines(text, separator))
    return Table(header=header, rows=rows, encoding=encoding, separator=separator)


def _csv_lines(text: str, separator: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    line = 0
    try:
        for cells in reader:
            line += 1
            yield line, cells
    except csv.Error as error:
        raise CsvFileError(
            f"Line {line + 1} cannot be read as CSV ({error}). Check for a quote that is not "
            "closed.",
            line=line + 1,
        ) from error


def _header_and_rows(
    lines: Iterable[tuple[int, list[str]]],
) -> tuple[list[str], list[TableRow]]:
    header: list[str] | None = None
    rows: list[TableRow] = []
    for line, cells in lines:
        cleaned = [clean_cell(cell) for cell in cells]
        if not any(cleaned):
            continue  # blank rows, or rows of empty cells a spreadsheet leaves at the end
        if header is None:
            header = cleaned
        else:
            rows.append(TableRow(line, cleaned))
    if header is None:
        raise CsvFileError("The file is empty.")
    if not rows:
        raise CsvFileError("The file has a header row but no data rows under it.")
    return header, rows


def _read_workbook(data: bytes, sheet: str | None) -> Table:
    """A sheet's rows as the Table of the CSV file a spreadsheet would save from it: each row
    at least as wide as the header."""
    try:
        read = spreadsheet.read_sheet(data, sheet=sheet)
    except spreadsheet.WorkbookError as error:
        raise CsvFileError(error.message, line=error.line) from error
    header, rows = _header_and_rows(read.rows)
    width = len(header)
    for row in rows:
        row.cells.extend([""] * (width - len(row.cells)))
    return Table(header=header, rows=rows, encoding=f"Excel workbook, sheet “{read.name}”",
                 separator="", sheet=read.name)


def column_letter(index: int) -> str:
    """The spreadsheet name of the column at 0-based `index`: A, B, ..., Z, AA, AB, ..."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def decimal_text(value: float, places: int = 2) -> str:
    """A figure of a CSV: at most `places` decimals, without trailing zeros after the point
    (1.5, 2, 0.25, 150000), and never "-0"."""
    text = f"{value:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
