"""Reading one sheet of an .xlsx workbook as the rows of text a CSV file would hold.

`format.read_table` calls `read_sheet` for an upload that is an .xlsx workbook by its content
(`is_xlsx`: a zip holding `xl/workbook.xml`, whatever the file is called) and builds the same
`Table` from its rows as from a CSV file, so every import reads both alike. openpyxl reads the
workbook in read-only mode, values only: a formula is read as the value the spreadsheet last
saved, never evaluated, and the sheet is streamed row by row.

The same limits as a CSV upload hold, and a workbook can be far larger unpacked than its
bytes: its parts may unpack to at most `UNPACKED_PER_BYTE` times the upload limit
(`ORGDESIGN_IMPORT_MAX_BYTES`), checked from the zip's directory before anything is unpacked
(zipfile never yields more than a part declares); a part openpyxl reads whole to at most
`part_limit`; the sheet, streamed, to at most MAX_ELEMENTS elements (its time); and the
sheet's text, written out as CSV, may be no larger than an uploaded CSV file. Whatever
cannot be read is a `WorkbookError` with a sentence for the person: a damaged zip, a workbook
with no sheet, an unknown sheet, merged cells (the cells under a merge would read as empty),
a formula with no saved value, a password-protected file (an encrypted OLE2 file, not a zip),
an .xls or .ods file.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.template.defaultfilters import filesizeformat

ZIP = b"PK\x03\x04"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORKBOOK_PART = "xl/workbook.xml"
# A password-protected .xlsx is an OLE2 file with this stream (its name in UTF-16).
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")
_ODS = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet"

# How much larger than the upload limit the workbook's parts may be once unpacked. A sheet's
# XML is about five times the CSV of the same cells (a 50,000-row roster of 11 columns: 29 MB
# of XML for 5.5 MB of CSV), so a sheet as large as a CSV at the limit fits.
UNPACKED_PER_BYTE = 10

# The most a sheet may hold: its XML elements (a cell is two or three: the cell, its value,
# an inline string; a row counts as ROW_WEIGHT, for the work of reading it), which bounds the
# time a sheet takes to read: at most about 11 s on a 2-core machine, whatever the sheet holds
# (a 50,000-row roster of 11 columns, 1.2 million, reads in 5 s); and the cells of a row (a
# spreadsheet's last column is XFD, the 16,384th).
MAX_ELEMENTS = 3_000_000
ROW_WEIGHT = 3
MAX_COLUMNS = 16_384

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _MERGE = (f"{_MAIN}{tag}" for tag in ("row", "c", "mergeCell"))

# Sheets an unknown sheet's refusal names.
SHEETS_NAMED = 20

_NOT_CSV = "This is a spreadsheet workbook, not a CSV file."
_ON_ITS_OWN = "Save the sheet to import on its own, as .xlsx or CSV, and upload that."
_SAVE_AGAIN = "Save it again from your spreadsheet, as .xlsx or CSV, and upload that."


class WorkbookError(Exception):
    """The workbook cannot be imported; the message says why, for the person."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Sheet:
    """The sheet read, and its rows: (row number, cells as text) with blank rows left out;
    a row's cells run to its last cell that holds a value."""

    name: str
    rows: list[tuple[int, list[str]]]


def max_bytes() -> int:
    return getattr(settings, "ORGDESIGN_IMPORT_MAX_BYTES", 10 * 1024 * 1024)


def is_zip(data: bytes) -> bool:
    return data.startswith(ZIP)


def is_xlsx(data: bytes) -> bool:
    """Whether the bytes are an .xlsx workbook: a zip holding xl/workbook.xml."""
    if not is_zip(data):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.getinfo(WORKBOOK_PART)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError):
        return False
    return True


def refusal_of_other_file(data: bytes) -> str | None:
    """What to tell the person of a workbook that is not an .xlsx one (an .xls, an .ods, a
    password-protected file, a damaged zip); None for anything else."""
    if data.startswith(OLE2):
        if _ENCRYPTED in data:
            return (
                "This workbook is protected by a password, so it cannot be read. Save a copy "
                "without the password (as .xlsx or CSV) and upload that."
            )
        return (
            f"{_NOT_CSV} It is an Excel 97-2003 workbook (.xls), which is not read: save it "
            "as .xlsx or CSV and upload that."
        )
    if not is_zip(data):
        return None
    if data[30:30 + len(_ODS)] == _ODS:
        return (
            f"{_NOT_CSV} It is an OpenDocument spreadsheet (.ods), which is not read: save "
            "it as .xlsx or CSV and upload that."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return f"{_NOT_CSV} It cannot be read: the file is damaged or incomplete. {_SAVE_AGAIN}"
    return (
        "This is a zip archive, not a CSV file or an .xlsx workbook. Upload the CSV file or "
        "the .xlsx workbook itself."
    )


def read_sheet(data: bytes, *, sheet: str | None = None) -> Sheet:
    """The rows of the first visible sheet of an .xlsx workbook, or of the sheet named."""
    limit = max_bytes()
    _check_unpacked_size(data, limit)
    try:
        return _read(data, sheet, limit)
    except WorkbookError:
        raise
    except Exception as error:  # openpyxl and zipfile say a damaged part in many ways
        raise WorkbookError(_damaged(error)) from error


def _damaged(error: Exception) -> str:
    return (
        "This .xlsx workbook cannot be read: it is damaged, incomplete or not really a "
        f"workbook ({type(error).__name__}). {_SAVE_AGAIN}"
    )


def _check_unpacked_size(data: bytes, limit: int) -> None:
    """Refuse a workbook whose parts would unpack to more than UNPACKED_PER_BYTE times the
    limit: the zip's directory says how large each part is, and zipfile never yields more."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(part.file_size for part in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise WorkbookError(_damaged(error)) from error
    if unpacked > UNPACKED_PER_BYTE * limit:
        raise WorkbookError(
            f"Unpacked, this workbook is {filesizeformat(unpacked)}, more than the "
            f"{filesizeformat(UNPACKED_PER_BYTE * limit)} an import reads. {_ON_ITS_OWN}"
        )


def part_limit(name: str, limit: int) -> int:
    """The most a part that openpyxl reads whole (all but the sheet, which is streamed) may
    unpack to: the text the cells share as much as a CSV file, the rest a quarter of that."""
    return limit if name == "xl/sharedStrings.xml" else limit // 4


class _Parts(zipfile.ZipFile):
    """The workbook's zip as openpyxl reads it: a part larger than `part_limit` is refused
    before it is read whole. The sheet is opened with `stream`, which streams it."""

    limit = 0

    def open(self, name, mode="r", pwd=None, **kwargs):
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        cap = part_limit(info.filename, self.limit)
        if mode == "r" and info.file_size > cap:
            raise WorkbookError(
                f"Unpacked, the part {info.filename} of this workbook is "
                f"{filesizeformat(info.file_size)}, more than the {filesizeformat(cap)} an "
                f"import reads. {_ON_ITS_OWN}"
            )
        return super().open(name, mode, pwd, **kwargs)

    def stream(self, name):
        return super().open(name)


def _read(data: bytes, name: str | None, limit: int) -> Sheet:
    # Only the parts a sheet's values need: the manifest, the shared strings, the workbook
    # (its sheets, its calendar) and the styles (which numbers are dates). load_workbook
    # would also measure every sheet, reading in full each one that does not say its size.
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    reader.archive.close()
    reader.archive = _Parts(io.BytesIO(data))
    reader.archive.limit = limit
    try:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        workbook = reader.wb
        apply_stylesheet(reader.archive, workbook)
        sheets = [
            (sheet.name, sheet.state, rel.target)
            for sheet, rel in reader.parser.find_sheets()
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type
        ]
        title, part = _pick(sheets, name)
        with reader.archive.stream(part) as source:
            rows = list(_rows(source, title, reader.shared_strings, workbook, limit))
        return Sheet(title, rows)
    finally:
        reader.archive.close()


def _pick(sheets: list[tuple[str, str, str]], name: str | None) -> tuple[str, str]:
    """The title and the part of the sheet named, else of the first visible one."""
    if not sheets:
        raise WorkbookError("This workbook has no sheet of cells: there is nothing to import.")
    if not name or not name.strip():
        visible = [sheet for sheet in sheets if sheet[1] == "visible"]
        title, _, part = (visible or sheets)[0]
        return title, part
    wanted = name.strip()
    for matches in (lambda title: title == wanted,
                    lambda title: title.strip().casefold() == wanted.casefold()):
        for title, _, part in sheets:
            if matches(title):
                return title, part
    titles = [title for title, _, _ in sheets]
    names = ", ".join(f"“{title}”" for title in titles[:SHEETS_NAMED])
    if len(titles) > SHEETS_NAMED:
        names += f" and {len(titles) - SHEETS_NAMED} more"
    raise WorkbookError(
        f"This workbook has no sheet “{wanted}”. Its sheets: {names}. Name one of them, or "
        "leave the sheet empty to read the first."
    )


def _rows(source, title: str, shared_strings: list, workbook, limit: int
          ) -> Iterator[tuple[int, list[str]]]:
    """The sheet's non-blank rows, streamed: each row's cells are read by openpyxl, then the
    row is dropped from the tree; what is not a row is dropped as soon as it is read. The
    sheet's size is counted as it goes: its elements (MAX_ELEMENTS, which bounds the time),
    each row's cells (a row has at most MAX_COLUMNS) and its text written as CSV (`limit`)."""
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser
    from openpyxl.xml.functions import iterparse

    unsaved: list[str] = []

    class Parser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                unsaved.append(element.get("r") or "")
            return cell

    parser = Parser(
        None, shared_strings, data_only=True, epoch=workbook.epoch,
        date_formats=workbook._date_formats, timedelta_formats=workbook._timedelta_formats,
    )
    open_elements: list = []  # from the root to the element being read
    in_row = 0  # how deep inside a row the reading is (0: outside)
    elements = cells = 0
    merged: list[str] = []
    csv_size = 0  # the bytes of the sheet written as CSV: cells, separators, line ends
    last = 0
    for event, element in iterparse(source, events=("start", "end")):
        if event == "start":
            open_elements.append(element)
            if element.tag == _ROW or in_row:
                in_row += 1
            continue
        open_elements.pop()
        elements += 1
        if elements > MAX_ELEMENTS:
            raise WorkbookError(_too_large(title))
        if in_row:
            in_row -= 1
            if element.tag == _CELL and in_row == 1:
                cells += 1
                if cells > MAX_COLUMNS:
                    raise WorkbookError(
                        f"A row of sheet “{title}” has more than {MAX_COLUMNS:,} cells, the "
                        "most a sheet has: the file is damaged. " + _SAVE_AGAIN
                    )
            if in_row:
                continue  # the row's cells: read with it
            cells = 0
            elements += ROW_WEIGHT - 1
            number, parsed = parser.parse_row(element)
            parser.row_dimensions.clear()  # a row's height, which openpyxl would keep
            if open_elements:
                del open_elements[-1][:]  # done with this row (and the ones before)
            if unsaved:
                raise WorkbookError(
                    f"Cell {unsaved[0]} of sheet “{title}” holds a formula whose value was "
                    "never saved (the file was written by a program, not saved by a "
                    "spreadsheet). Open it in a spreadsheet and save it, or paste the values "
                    "instead of the formulas.",
                    line=number,
                )
            texts = {cell["column"]: text for cell in parsed if (text := cell_text(cell["value"]))}
            width = max(texts, default=0)
            csv_size += max(number - last, 1) + width + sum(map(len, texts.values()))
            last = max(number, last)
            if csv_size > limit:
                raise WorkbookError(
                    f"Sheet “{title}” holds more than {filesizeformat(limit)} of text (as a "
                    "CSV file), the most an import takes. Split it and import each part.",
                    line=number,
                )
            if not width:
                continue
            row = [texts.get(column, "") for column in range(1, width + 1)]
            if any("\x00" in text for text in row):
                raise WorkbookError(
                    f"Row {number} of sheet “{title}” contains a NUL character, which is not "
                    "text. Remove it in the spreadsheet and upload the file again.",
                    line=number,
                )
            yield number, row
            continue
        if element.tag == _MERGE:
            merged.append(element.get("ref") or "")
        if open_elements:
            del open_elements[-1][:]  # read: nothing else of the sheet is kept
    if merged:
        others = f" (and {len(merged) - 1} more)" if len(merged) > 1 else ""
        raise WorkbookError(
            f"Sheet “{title}” has merged cells: {merged[0]}{others}. A merged cell holds its "
            "value in its first cell only, so the others would read as empty. Unmerge them, "
            "fill in each cell, and upload the file again."
        )


def _too_large(title: str) -> str:
    return (
        f"Sheet “{title}” is larger than an import reads: more than {MAX_ELEMENTS:,} cells "
        f"and values (about 50,000 rows of {MAX_ELEMENTS // 3 // 50_000} columns). Keep "
        "only the columns you import, or split the rows, and import each part."
    )


def cell_text(value) -> str:
    """A cell's value as the text a spreadsheet shows in General format: 1001 not 1001.0,
    dates as YYYY-MM-DD, TRUE and FALSE as a CSV saved from it writes them, empty as ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")  # what a spreadsheet shows: 0.1 + 0.2 is 0.3
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)  # a duration (timedelta), an error such as #N/A
