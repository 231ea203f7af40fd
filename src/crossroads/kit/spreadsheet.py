"""Every CSV and XLSX file Crossroads writes goes through here, so that no cell can become a formula.

A spreadsheet that opens a CSV evaluates a cell beginning with `=`, `+`, `-` or `@` as a formula (and some treat a
leading tab or carriage return the same way after trimming), so a label, a title or an id taken from a spec, a
form or an input file could run `=HYPERLINK(...)`, `=WEBSERVICE(...)` or a DDE command on the machine of whoever
opens the file. The rule is OWASP's for CSV injection: such a text cell is written with a single quote in front,
which spreadsheets take as "this is text" and which a reader of the CSV can strip.

Only text is neutralised, decided by the cell's Python type, never by its written form:

- a number (int, float, Decimal, numpy's numbers) is written as it is: -3 is a negative number, not a formula,
  and must stay a number in the CSV and a numeric cell in the workbook;
- a string that is exactly a plain decimal number ("-3", "+1.5", "-2e5") is left alone too: every spreadsheet
  reads it as that number and nothing else, and CSV round trips (a release re-cut for an agreement, ids read
  from an input CSV) then keep their values;
- every other string beginning with a trigger gets the quote. A string that already begins with the quote does
  not begin with a trigger, so neutralising twice changes nothing.

In a workbook the same quoted text is written as a text cell: openpyxl otherwise stores a string beginning with
`=` as a formula and one equal to an error code (`#N/A`) as an error. The quote is kept in the workbook as well,
so that the CSV and the workbook of one release hold the same text, and a sheet saved again as CSV stays safe.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO, cast

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# RFC 4180's line end, and the only one for which Python's csv writer (and pandas, which uses it) quotes a field
# holding either a carriage return or a line feed. With "\n" alone a bare "\r" inside a value is written as it is,
# and a spreadsheet starts a new row there: "ok\r=HYPERLINK(...)" would put a live formula at the start of a row.
LINE_END = "\r\n"
# ASCII digits only: a spreadsheet reads "-٣" as text to evaluate, not as the number -3.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def text(value: str) -> str:
    """`value` as a cell that no spreadsheet evaluates: quoted when it begins like a formula."""
    if value.startswith(TRIGGERS) and not _PLAIN_NUMBER.fullmatch(value):
        return QUOTE + value
    return value


def cell(value: Any) -> Any:
    """A CSV or workbook cell: text neutralised, anything else (numbers, dates, blanks) as it is."""
    return text(value) if isinstance(value, str) else value


def write_csv(handle: TextIO, header: Sequence[str] | None, rows: Iterable[Sequence[Any]]) -> None:
    """Write a header (if any) and rows as CSV to an open text file, every cell through `cell`."""
    writer = csv.writer(handle, lineterminator=LINE_END)
    if header is not None:
        writer.writerow([cell(h) for h in header])
    writer.writerows([cell(v) for v in row] for row in rows)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A whole CSV file in UTF-8, written by `write_csv`."""
    buffer = io.StringIO()
    write_csv(buffer, header, rows)
    return buffer.getvalue().encode("utf-8")


def write_frame_csv(frame: pd.DataFrame, path: Path | str) -> None:
    """A pandas frame as CSV (without its index), its column names and text cells through `cell`.

    pandas still writes the file, so numbers and missing values are formatted as `DataFrame.to_csv` formats them;
    only the columns that can hold text (object, string, categorical) are rewritten, numeric ones are untouched.
    """
    import pandas as pd
    from pandas.api.types import is_object_dtype

    safe = frame.rename(columns=cell)
    for position, dtype in enumerate(safe.dtypes):
        if is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype | pd.CategoricalDtype):
            safe.isetitem(position, safe.iloc[:, position].map(cell).to_numpy(dtype=object))
    safe.to_csv(path, index=False, lineterminator=LINE_END)


def xlsx_bytes(sheets: Iterable[tuple[str, Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook with one sheet per (title, rows), in order; text cells neutralised and stored as text."""
    # Imported here: the commands that write only CSV (a duplicate batch) need not load openpyxl.
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    # A new workbook opens on one empty worksheet; the first sheet given takes its place.
    first = cast(Worksheet, wb.active)
    for index, (title, rows) in enumerate(sheets):
        sheet = first if index == 0 else wb.create_sheet()
        sheet.title = title
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if isinstance(value, str):
                    # XML cannot hold most control characters: a workbook shows U+FFFD where a value had one
                    # (its CSV keeps the value whole) instead of failing to be written at all.
                    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
                written = sheet.cell(row=r, column=c, value=cell(value))
                if isinstance(written.value, str):
                    # Text stays text: not a formula (`=`), not an error code (`#N/A`), whatever it holds.
                    written.data_type = "s"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
