"""An HR system's people export of `size` people, as BambooHR writes it (managers by name,
"Last, First"; a status and an employment status column), in CSV and in .xlsx: what
`make bench` previews and applies (issue 28)."""

import csv
import io

from openpyxl import Workbook

HEADER = ["Employee #", "First Name", "Last Name", "Job Title", "Department", "Reporting to",
          "Work Email", "Status", "Employment Status"]


def rows(size: int) -> list[list[str]]:
    """A tree with eight reports a manager, each manager named as "Last, First"; one in
    twenty a contractor, one in fifty on leave."""
    return [
        [f"B{n:06d}", f"First{n}", f"Last{n}", "Engineer", "Platform",
         f"Last{(n - 1) // 8}, First{(n - 1) // 8}" if n else "",
         f"person{n}@corp.example", "Leave" if n % 50 == 49 else "Active",
         "Contractor" if n % 20 == 19 else "Full-Time"]
        for n in range(size)
    ]


def as_csv(size: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows(size))
    return out.getvalue().encode()


def as_xlsx(size: int) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Employees")
    sheet.append(HEADER)
    for row in rows(size):
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
