"""The export writers: CSV with BOM and formula guard, XLSX readable by openpyxl, roll-over."""

from __future__ import annotations

import csv
import io
import os
import tempfile
import tracemalloc
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
import pytest
from flask import Flask
from werkzeug.exceptions import NotFound

from marketplace.exports import writers
from marketplace.exports.writers import (
    content_disposition,
    csv_response,
    export_response,
    xlsx_response,
)

HEADER = ["区县", "类别", "金额", "日期", "时间", "备注"]
ROWS = [
    ("凤凰县", "生活救助", Decimal("1200.50"), date(2026, 2, 3),
     datetime(2026, 2, 3, 16, 30, tzinfo=UTC), "按时发放"),
    ("芙蓉区", "康复服务", Decimal("-35.00"), None, None, None),
]


@pytest.fixture
def web() -> Flask:
    """A bare app: the writers need a request context, not the database."""
    app = Flask(__name__)
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Shanghai"

    @app.get("/export.<fmt>")
    def export(fmt: str):
        return export_response(fmt, "救助台账", HEADER, iter(ROWS), sheet="台账")

    return app


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_has_bom_and_round_trips_chinese(web: Flask) -> None:
    response = web.test_client().get("/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert _csv_rows(response.data) == [
        HEADER,
        # China time (UTC+8); Decimal in plain notation; a negative amount keeps its sign
        ["凤凰县", "生活救助", "1200.50", "2026-02-03", "2026-02-04 00:30:00", "按时发放"],
        ["芙蓉区", "康复服务", "-35.00", "", "", ""],
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"), ("+1", "'+1"), ("-2+3", "'-2+3"),
     ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("a=b", "a=b"), ("", "")],
)
def test_csv_guards_text_that_a_spreadsheet_reads_as_a_formula(text: str, expected: str) -> None:
    assert writers.csv_cell(text) == expected


def test_csv_numbers_are_not_guarded() -> None:
    assert writers.csv_cell(-5) == "-5"
    assert writers.csv_cell(Decimal("-0.10")) == "-0.10"
    assert writers.csv_cell(Decimal("1E+3")) == "1000"
    assert writers.csv_cell(True) == "true"


def test_csv_formula_guard_in_the_file(web: Flask) -> None:
    with web.test_request_context():
        response = csv_response("x.csv", ["note"], [("=HYPERLINK(\"http://x\")",)])
        body = b"".join(response.response)
    assert _csv_rows(body)[1] == ["'=HYPERLINK(\"http://x\")"]


def test_csv_reads_rows_lazily_in_chunks(web: Flask) -> None:
    consumed = 0

    def rows():
        nonlocal consumed
        for i in range(2_500):
            consumed += 1
            yield (i, f"第{i}行")

    with web.test_request_context():
        response = csv_response("lazy.csv", ["n", "文字"], rows())
        assert response.is_streamed
        assert consumed == 0  # nothing read before the body is sent
        chunks = iter(response.response)
        next(chunks)
        assert consumed == writers.CSV_CHUNK_ROWS
        rest = list(chunks)
    assert consumed == 2_500
    assert len(rest) == 2  # 1,000 + 500 rows after the first chunk


def test_csv_memory_stays_bounded_for_100k_rows(web: Flask) -> None:
    rows = ((i, "凤凰县", Decimal(i) / 100, date(2026, 1, 1)) for i in range(100_000))
    with web.test_request_context():
        response = csv_response("big.csv", ["n", "county", "amount", "day"], rows)
        tracemalloc.start()
        try:
            size = 0
            for chunk in response.response:
                size += len(chunk)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert size > 3_000_000  # the whole file went through...
    assert peak < 20 * 1024 * 1024  # ...without ever being held in memory


def test_xlsx_opens_with_numbers_as_numbers(web: Flask) -> None:
    response = web.test_client().get("/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype == writers.XLSX_MIMETYPE
    assert int(response.headers["Content-Length"]) == len(response.data)
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["台账"]
    values = list(book["台账"].iter_rows(values_only=True))
    assert values[0] == tuple(HEADER)
    assert values[1][:4] == ("凤凰县", "生活救助", 1200.5, datetime(2026, 2, 3))
    assert values[1][4] == datetime(2026, 2, 4, 0, 30)  # China time
    assert values[2][:3] == ("芙蓉区", "康复服务", -35)
    assert values[2][3:] == (None, None, None)
    assert book["台账"]["C2"].data_type == "n"


def test_xlsx_text_is_never_a_formula(web: Flask) -> None:
    with web.test_request_context():
        response = xlsx_response("f.xlsx", ["note"], [("=1+1",), ("@x",)])
        data = b"".join(response.response)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet["A2"].value == "=1+1"
    assert sheet["A2"].data_type == "s"


def test_xlsx_rolls_over_to_new_sheets(web: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writers, "MAX_XLSX_ROWS", 3)
    with web.test_request_context():
        response = xlsx_response("r.xlsx", ["n"], ((i,) for i in range(7)), sheet="Data")
        data = b"".join(response.response)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Data", "Data (2)", "Data (3)"]
    assert [list(book[name].iter_rows(values_only=True)) for name in book.sheetnames] == [
        [("n",), (0,), (1,), (2,)],
        [("n",), (3,), (4,), (5,)],
        [("n",), (6,)],
    ]


def test_xlsx_without_rows_has_the_header(web: Flask) -> None:
    with web.test_request_context():
        data = b"".join(xlsx_response("e.xlsx", ["a", "b"], []).response)
    assert list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)) == [
        ("a", "b")
    ]


def test_xlsx_leaves_no_temporary_file(
    web: Flask, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with web.test_request_context():
        response = xlsx_response("t.xlsx", ["n"], [(1,)])
        assert os.listdir(tmp_path) == []  # unlinked once open; the response holds the file
        data = b"".join(response.response)
        response.close()
    assert data.startswith(b"PK")


def test_xlsx_memory_does_not_grow_with_the_rows(tmp_path) -> None:
    def peak(count: int) -> int:
        rows = ((i, "凤凰县", Decimal(i) / 100) for i in range(count))
        tracemalloc.start()
        try:
            written = writers.write_xlsx(str(tmp_path / f"{count}.xlsx"), ["n", "c", "a"], rows)
            used = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert written == count
        return used

    small, large = peak(2_000), peak(20_000)
    # constant_memory keeps one row in memory: ten times the rows, (about) the same peak
    assert large < small + 1024 * 1024
    assert large < 20 * 1024 * 1024


def test_unknown_format_is_404(web: Flask) -> None:
    assert web.test_client().get("/export.pdf").status_code == 404
    with web.test_request_context(), pytest.raises(NotFound):
        export_response("xls", "x", ["a"], [])


def test_export_response_adds_the_extension_once(web: Flask) -> None:
    with web.test_request_context():
        named = export_response("csv", "report.csv", ["a"], [])
        bare = export_response("csv", "report", ["a"], [])
    assert named.headers["Content-Disposition"] == 'attachment; filename="report.csv"'
    assert bare.headers["Content-Disposition"] == 'attachment; filename="report.csv"'


def test_chinese_filename_rfc5987(web: Flask) -> None:
    header = web.test_client().get("/export.csv").headers["Content-Disposition"]
    assert header.startswith('attachment; filename="export.csv"; filename*=UTF-8\'\'')
    assert unquote(header.split("''", 1)[1]) == "救助台账.csv"
    mixed = content_disposition('审计 audit "2026".xlsx')
    assert 'filename="audit _2026_.xlsx"' in mixed
    assert "\n" not in content_disposition("a\r\nSet-Cookie: x.csv")
