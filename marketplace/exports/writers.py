"""Table downloads: CSV streamed row by row, XLSX written to a temporary file and sent.

A view builds a header (translated labels) and an iterable of rows (tuples of plain values:
str, int, Decimal, date, datetime, None, bool, Enum) and returns
``export_response(fmt, "名称", header, rows)``. Rows are consumed lazily: pass a generator over
``db.session.execute(stmt.execution_options(yield_per=5000))`` and at most one chunk of rows is
in memory, whatever the size of the table.

The caller records the export in the audit trail and **commits before returning** the
response: a CSV body is produced after the view has returned (``stream_with_context`` keeps the
request and its database session open while it streams), so nothing may be left to commit.

- CSV: UTF-8 with a byte-order mark (Excel opens Chinese text correctly only with it), ``\\r\\n``
  line ends, text cells that a spreadsheet would read as a formula (``= + - @``, tab, CR) get a
  leading ``'`` (CSV/formula injection). Numbers are written as numbers: a negative amount
  is not text and keeps its sign.
- XLSX: XlsxWriter in ``constant_memory`` mode (one row in memory at a time) into a temporary
  file, which is unlinked as soon as it is open, so it disappears when the response closes it.
  Numbers are numeric cells, dates are date cells, text is always a string cell (never a
  formula). A sheet holds ``MAX_XLSX_ROWS`` data rows under its header; further rows roll over
  to new sheets ("Sheet1 (2)", …), each with the header again.
- Datetimes are shown in China time (``BABEL_DEFAULT_TIMEZONE``), as pages show them.
- File names may be Chinese: ``Content-Disposition`` carries an ASCII fallback and the
  RFC 5987 ``filename*=UTF-8''…`` form.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import xlsxwriter
from flask import (
    Response,
    abort,
    current_app,
    has_app_context,
    has_request_context,
    stream_with_context,
)

#: Data rows per XLSX sheet: Excel's 1,048,576 rows minus the header row.
MAX_XLSX_ROWS = 1_048_575
#: CSV rows written between two chunks sent to the client.
CSV_CHUNK_ROWS = 1_000
#: First characters that make a spreadsheet read a text cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_DEFAULT_TZ = "Asia/Shanghai"
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def export_response(
    fmt: str,
    filename: str,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    sheet: str = "Sheet1",
) -> Response:
    """The download of ``rows`` as ``fmt`` ("csv" or "xlsx"); 404 for any other format.

    ``filename`` may be given with or without the extension ("审计日志" or "审计日志.csv").
    """
    if fmt not in FORMATS:
        abort(404)
    if not filename.lower().endswith("." + fmt):
        filename = f"{filename}.{fmt}"
    if fmt == "csv":
        return csv_response(filename, header, rows)
    return xlsx_response(filename, header, rows, sheet=sheet)


def csv_response(
    filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]
) -> Response:
    """A streamed CSV download (UTF-8 with BOM, formula guard); ``rows`` is read lazily."""
    body = _csv_chunks(header, rows)
    if has_request_context():
        body = stream_with_context(body)
    response = Response(body, content_type=CSV_MIMETYPE)
    _attachment(response, filename)
    return response


def xlsx_response(
    filename: str,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    sheet: str = "Sheet1",
) -> Response:
    """An XLSX download written now (constant memory) to a temporary file that is then sent."""
    handle = tempfile.NamedTemporaryFile(prefix="nuanxin-export-", suffix=".xlsx", delete=False)
    try:
        handle.close()
        write_xlsx(handle.name, header, rows, sheet=sheet)
        stream = open(handle.name, "rb")  # closed by the response
    finally:
        # Unlinked while open: the data stay readable through `stream` and the disk space is
        # freed when the response closes it, even if the client goes away mid-download.
        os.unlink(handle.name)
    size = os.fstat(stream.fileno()).st_size
    response = Response(
        _file_chunks(stream), content_type=XLSX_MIMETYPE, direct_passthrough=True
    )
    response.content_length = size
    response.call_on_close(stream.close)
    _attachment(response, filename)
    return response


def write_xlsx(
    path: str, header: Sequence[Any], rows: Iterable[Sequence[Any]], sheet: str = "Sheet1"
) -> int:
    """Write ``header`` and ``rows`` to an XLSX file at ``path``; returns the data row count."""
    workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
    try:
        formats = {
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            "header": workbook.add_format({"bold": True}),
        }
        labels = [str(label) for label in header]
        base = _sheet_name(sheet)
        count = 0
        worksheet = None
        row_no = 0
        tz = _zone()
        for row in rows:
            if worksheet is None or row_no > MAX_XLSX_ROWS:
                number = count // MAX_XLSX_ROWS + 1
                name = base if number == 1 else f"{base[:25]} ({number})"
                worksheet = workbook.add_worksheet(name)
                worksheet.write_row(0, 0, labels, formats["header"])
                row_no = 1
            for col, value in enumerate(row):
                _write_cell(worksheet, row_no, col, value, formats, tz)
            row_no += 1
            count += 1
        if worksheet is None:  # no rows: the header alone
            worksheet = workbook.add_worksheet(base)
            worksheet.write_row(0, 0, labels, formats["header"])
    finally:
        workbook.close()
    return count


def csv_cell(value: Any, tz: ZoneInfo | None = None) -> str:
    """One CSV cell: plain numbers, ISO dates, China-time datetimes, guarded text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return _local(value, tz or _zone()).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        value = value.value
    return guard_formula(str(value))


def guard_formula(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename`` and, for other names, RFC 5987 ``filename*``."""
    filename = filename.replace("\r", "").replace("\n", "")
    try:
        filename.encode("ascii")
    except UnicodeEncodeError:
        pass
    else:
        return f'attachment; filename="{_ascii_safe(filename)}"'
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = _ascii_safe(fallback).strip()
    stem, dot, ext = fallback.rpartition(".")
    if dot and not stem.strip("._- "):
        fallback = f"export.{ext}"
    elif not dot and not fallback.strip("._- "):
        fallback = "export"
    quoted = quote(filename, safe="!#$&+-.^_`|~")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quoted}"


# --- internals ---------------------------------------------------------------------------------


def _csv_chunks(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    tz = _zone()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([str(label) for label in header])
    pending = 0
    for row in rows:
        writer.writerow([csv_cell(value, tz) for value in row])
        pending += 1
        if pending >= CSV_CHUNK_ROWS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate(0)
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def _file_chunks(stream, size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while chunk := stream.read(size):
            yield chunk
    finally:
        stream.close()


def _write_cell(worksheet, row: int, col: int, value: Any, formats, tz: ZoneInfo) -> None:
    if value is None:
        return  # constant_memory: an empty cell is simply not written
    if isinstance(value, bool):
        worksheet.write_boolean(row, col, value)
    elif isinstance(value, int | float | Decimal):
        worksheet.write_number(row, col, float(value))
    elif isinstance(value, datetime):
        worksheet.write_datetime(
            row, col, _local(value, tz).replace(tzinfo=None), formats["datetime"]
        )
    elif isinstance(value, date):
        worksheet.write_datetime(row, col, value, formats["date"])
    else:
        if isinstance(value, Enum):
            value = value.value
        # write_string: a string cell, never a formula, whatever its first character.
        worksheet.write_string(row, col, str(value))


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    return value.astimezone(tz) if value.tzinfo is not None else value


def _zone() -> ZoneInfo:
    name = _DEFAULT_TZ
    if has_app_context():
        name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or _DEFAULT_TZ
    return ZoneInfo(name)


def _sheet_name(name: str) -> str:
    name = _SHEET_BAD.sub("_", str(name)).strip("'")[:31]
    return name or "Sheet1"


def _ascii_safe(name: str) -> str:
    return "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in name)


def _attachment(response: Response, filename: str) -> None:
    response.headers["Content-Disposition"] = content_disposition(filename)
    # Exports can hold personal data: no shared or browser cache keeps a copy.
    response.headers["Cache-Control"] = "no-store"
