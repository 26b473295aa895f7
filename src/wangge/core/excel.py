"""Spreadsheets in and out: read an uploaded .xlsx/.xls/.csv into rows keyed by column, with
the row number and column letter the user sees in Excel (the header is row 1); write .xlsx
templates and large exports (openpyxl write-only mode, constant memory per row).

Reading is defensive: the size and row limits come from settings, the file type is decided by
its content (a PNG renamed to .xlsx is refused), a zip whose content would inflate far beyond
the upload is refused before it is opened, and CSV is accepted as UTF-8 (with or without BOM)
or GB18030 (what Excel and WPS on Chinese Windows write).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from .errors import DomainError

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
# Excel refuses cells longer than this.
MAX_CELL_CHARS = 32767
# A real .xlsx inflates to a few times its size; much more than this is a zip bomb.
MAX_INFLATE_RATIO = 100
# How far down a title block the header row is looked for.
HEADER_SEARCH_ROWS = 10

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_HEADER_NOISE = re.compile(r"[\s*＊:：]")


class ImportFileError(DomainError):
    """The file as a whole cannot be read (too big, not a spreadsheet, missing columns)."""

    code = "import_file"


@dataclass(frozen=True)
class Column:
    """One column of an import format. `header` is the Chinese header of the template;
    `aliases` are other headers accepted for it (English, other departments' wording)."""

    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    help: str = ""
    example: str = ""
    width: int = 16
    text: bool = True  # format the template column as text so Excel keeps leading zeros
    choices: tuple[str, ...] = ()  # offered as a drop-down in the .xlsx template


@dataclass
class CellError:
    """A problem found in the file: `row` is the Excel row number (header = 1), `column` the
    letter; both are None for a problem with the whole file."""

    message: str
    row: int | None = None
    column: str | None = None
    header: str = ""

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "header": self.header,
            "message": str(self.message),
        }

    @property
    def where(self) -> str:
        if self.row is None:
            return ""
        if self.column:
            return f"{self.column}{self.row}"
        return str(self.row)


@dataclass
class Row:
    number: int  # Excel row number
    values: dict[str, str]
    raw_types: dict[str, type] = field(default_factory=dict)

    def get(self, key: str) -> str:
        return self.values.get(key, "")


@dataclass
class Table:
    file_name: str
    format: str  # "xlsx", "xls" or "csv"
    columns: dict[str, tuple[str, str]]  # key -> (letter, header as found in the file)
    rows: list[Row]

    def where(self, key: str) -> tuple[str | None, str]:
        letter, header = self.columns.get(key, (None, ""))
        return letter, header


class ErrorCollector:
    """Collects cell errors while validating a table; caps the list so a wholly wrong file
    does not produce a million-line report."""

    limit = 1000

    def __init__(self, table: Table | None = None):
        self.table = table
        self.errors: list[CellError] = []
        self.total = 0

    def add(self, row: int | None, key: str | None, message) -> None:
        self.total += 1
        if len(self.errors) >= self.limit:
            return
        letter, header = (None, "")
        if key and self.table is not None:
            letter, header = self.table.where(key)
        self.errors.append(CellError(str(message), row=row, column=letter, header=header))

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def truncated(self) -> int:
        return self.total - len(self.errors)


# --- reading ----------------------------------------------------------------------------


def normalize_header(text: Any) -> str:
    """Compare headers loosely: no spaces, no required-markers, half-width brackets, lower
    case, and the bracketed hint ("(可选)", "(是/否)") dropped."""
    s = str(text or "").strip()
    s = s.replace("（", "(").replace("）", ")").replace("【", "(").replace("】", ")")
    s = _HEADER_NOISE.sub("", s).lower()
    return re.sub(r"\(.*?\)", "", s) or s


def cell_text(value: Any) -> str:
    """A cell as the text the user typed: 13800138000.0 → "13800138000", dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value) if abs(value) >= 1e15 else str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value).strip()


def _read_upload(upload: IO[bytes] | bytes, max_bytes: int) -> bytes:
    if isinstance(upload, bytes | bytearray):
        data = bytes(upload)
    else:
        size = getattr(upload, "size", None)
        if size is not None and size > max_bytes:
            raise _too_big(max_bytes)
        if hasattr(upload, "seek"):
            try:
                upload.seek(0)
            except (OSError, ValueError):
                pass
        data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_big(max_bytes)
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    return data


def _too_big(max_bytes: int) -> ImportFileError:
    return ImportFileError(
        _("The file is too large: at most %(mb)s MB can be imported at once.")
        % {"mb": _fmt_mb(max_bytes)},
        code="file_too_large",
    )


def _fmt_mb(n: int) -> str:
    mb = n / (1024 * 1024)
    return f"{mb:.0f}" if mb >= 1 else f"{mb:.2f}"


def _sniff(data: bytes, file_name: str) -> str:
    ext = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    if data.startswith(_OLE_MAGIC):
        return "xls"
    if ext in ("xlsx", "xlsm", "xls"):
        raise ImportFileError(
            _("The file is not a real Excel workbook. Save it from Excel or WPS as .xlsx."),
            code="not_a_spreadsheet",
        )
    if b"\x00" in data[:4096] or ext not in ("csv", "txt", ""):
        raise ImportFileError(
            _("The file is neither an Excel workbook (.xlsx) nor a CSV file."),
            code="not_a_spreadsheet",
        )
    return "csv"


def _decode_csv(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise ImportFileError(
        _("The CSV file cannot be read: save it as UTF-8 or GB18030 (GBK) text."),
        code="bad_encoding",
    )


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    text = _decode_csv(data)
    sample = text[:4096]
    delimiter = ","
    first_line = sample.split("\n", 1)[0]
    if first_line.count(",") == 0:
        for d in ("\t", ";"):
            if first_line.count(d):
                delimiter = d
                break
    # GeoJSON boundaries can be far longer than the csv module's default field limit.
    csv.field_size_limit(max(csv.field_size_limit(), len(data)))
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise ImportFileError(
            _("The CSV file is malformed: %(error)s") % {"error": exc}, code="bad_csv"
        ) from exc


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            inflated = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFileError(
            _("The file is not a real Excel workbook. Save it from Excel or WPS as .xlsx."),
            code="not_a_spreadsheet",
        ) from exc
    if "[Content_Types].xml" not in names:
        raise ImportFileError(
            _("The file is not a real Excel workbook. Save it from Excel or WPS as .xlsx."),
            code="not_a_spreadsheet",
        )
    if inflated > max(len(data) * MAX_INFLATE_RATIO, 50 * 1024 * 1024):
        raise ImportFileError(
            _("The workbook is too large once unpacked; split it into smaller files."),
            code="file_too_large",
        )


def _workbook_rows(data: bytes) -> Iterator[list[Any]]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        yield from wb.get_sheet_by_index(0).iter_rows()
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types
        raise ImportFileError(
            _("The workbook cannot be read: %(error)s") % {"error": str(exc)[:200]},
            code="not_a_spreadsheet",
        ) from exc


def _match_header(row, wanted, columns, number) -> tuple[dict[str, tuple[int, str]], list]:
    found: dict[str, tuple[int, str]] = {}
    problems: list[CellError] = []
    for idx, raw in enumerate(row):
        text = cell_text(raw)
        col = wanted.get(normalize_header(text)) if text else None
        if col is None:
            continue
        if col.key in found:
            problems.append(
                CellError(
                    _("The column %(header)s appears twice.") % {"header": col.header},
                    row=number,
                    column=get_column_letter(idx + 1),
                    header=text,
                )
            )
            continue
        found[col.key] = (idx, text)
    return found, problems


def read_table(
    upload: IO[bytes] | bytes,
    columns: Sequence[Column],
    *,
    file_name: str = "",
    max_bytes: int | None = None,
    max_rows: int | None = None,
) -> Table:
    """Read the first sheet (or the CSV) of an upload. Raise ImportFileError (with
    `details` = list of CellError dicts) when the file as a whole cannot be used."""
    max_bytes = max_bytes or settings.WANGGE_MAX_IMPORT_BYTES
    max_rows = max_rows or settings.WANGGE_MAX_IMPORT_ROWS
    file_name = file_name or getattr(upload, "name", "") or ""
    data = _read_upload(upload, max_bytes)
    fmt = _sniff(data, file_name)
    if fmt == "xlsx":
        _check_zip(data)
        source = _workbook_rows(data)
    elif fmt == "xls":
        source = _workbook_rows(data)
    else:
        source = _csv_rows(data)

    wanted: dict[str, Column] = {}
    for col in columns:
        for name in (col.header, col.key, *col.aliases):
            wanted.setdefault(normalize_header(name), col)

    # The header is row 1 in our templates; department lists often carry a title row (or
    # two) above it, so the first rows are searched for the one naming the required columns.
    header_number, header_row, best = 0, None, None
    for number in range(1, HEADER_SEARCH_ROWS + 1):
        candidate = next(source, None)
        if candidate is None:
            break
        found, problems = _match_header(candidate, wanted, columns, number)
        score = len(found)
        if best is None or score > best[0]:
            best = (score, number, candidate, found, problems)
        if score and not any(c.required and c.key not in found for c in columns):
            header_number, header_row = number, candidate
            break
    if header_row is None:
        if best is None or best[0] == 0:
            raise ImportFileError(
                _("No row with the column headers was found. Use the template."),
                code="missing_header",
            )
        _score, header_number, header_row, found, problems = best
    else:
        found, problems = _match_header(header_row, wanted, columns, header_number)
    missing = [c.header for c in columns if c.required and c.key not in found]
    if missing:
        problems.append(
            CellError(
                _("Required columns are missing: %(columns)s. Use the template.")
                % {"columns": "、".join(missing)},
                row=header_number,
            )
        )
    if problems:
        raise ImportFileError(
            problems[-1].message if len(problems) == 1 else _("The column headers are wrong."),
            code="bad_header",
            details=[p.as_dict() for p in problems],
        )

    rows: list[Row] = []
    for offset, raw_row in enumerate(source):
        values: dict[str, str] = {}
        types: dict[str, type] = {}
        for key, (idx, _header) in found.items():
            raw = raw_row[idx] if idx < len(raw_row) else None
            text = cell_text(raw)
            if text:
                values[key] = text
                types[key] = type(raw)
        if not values:
            continue  # blank lines between data are common in hand-kept sheets
        if len(rows) >= max_rows:
            raise ImportFileError(
                _("The file has too many rows: at most %(n)d rows can be imported at once.")
                % {"n": max_rows},
                code="too_many_rows",
            )
        rows.append(Row(number=header_number + 1 + offset, values=values, raw_types=types))
    if not rows:
        raise ImportFileError(_("The file has no data rows under the header."), code="no_rows")
    columns_found = {
        key: (get_column_letter(idx + 1), header) for key, (idx, header) in found.items()
    }
    return Table(file_name=file_name, format=fmt, columns=columns_found, rows=rows)


def split_list(value: str) -> list[str]:
    """Split a multi-value cell: 、 , ， ; ； / and spaces all separate."""
    return [v for v in re.split(r"[、,，;；/\s]+", value or "") if v]


YES = {"是", "y", "yes", "true", "1", "√", "✓", "有"}
NO = {"否", "n", "no", "false", "0", "×", "无", ""}


def parse_bool(value: str) -> bool | None:
    v = (value or "").strip().lower()
    if v in YES:
        return True
    if v in NO:
        return False
    return None


def chunked(items: Sequence, size: int = 900) -> Iterator[Sequence]:
    """Slices small enough for an `IN (...)` on every database backend."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- writing ----------------------------------------------------------------------------


def _safe(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        value = _ILLEGAL_XML.sub("", value)
        if len(value) > MAX_CELL_CHARS:
            value = value[: MAX_CELL_CHARS - 1] + "…"
        return value
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        from django.utils import timezone

        return timezone.localtime(value).replace(tzinfo=None)
    return value


def write_xlsx(
    out: IO[bytes],
    *,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    sheet_title: str = "Sheet1",
    widths: Sequence[int] | None = None,
) -> int:
    """Stream rows into an .xlsx in openpyxl's write-only mode; return the number of rows.

    Text is always written as text: a value starting with "=" stays a string, never a formula
    (CSV/formula injection), and characters XML cannot hold are dropped."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet_title[:31])
    for i, width in enumerate(widths or [16] * len(headers), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    head = []
    for h in headers:
        cell = WriteOnlyCell(ws, value=str(h))
        cell.font, cell.fill = bold, fill
        head.append(cell)
    ws.append(head)
    n = 0
    for row in rows:
        values = []
        for v in row:
            v = _safe(v)
            if isinstance(v, str) and v.startswith("="):
                cell = WriteOnlyCell(ws, value=v)
                cell.data_type = "s"
                values.append(cell)
            else:
                values.append(v)
        ws.append(values)
        n += 1
    wb.save(out)
    return n


def template_xlsx(
    columns: Sequence[Column], *, title: str, notes: Sequence[str] = (), examples=()
) -> bytes:
    """An import template: the header row, text-formatted columns (so ID numbers and codes keep
    all their digits), drop-downs for choice columns, and a 说明 sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    required_fill = PatternFill("solid", fgColor="FCE4D6")
    optional_fill = PatternFill("solid", fgColor="DDEBF7")
    for i, col in enumerate(columns, start=1):
        letter = get_column_letter(i)
        cell = ws.cell(row=1, column=i, value=col.header)
        cell.font = Font(bold=True)
        cell.fill = required_fill if col.required else optional_fill
        cell.alignment = Alignment(horizontal="center")
        if col.help:
            cell.comment = Comment(str(col.help), "wangge")
        ws.column_dimensions[letter].width = col.width
        if col.text:
            # Pre-format the data cells as text: Excel would otherwise turn an 18-digit ID
            # number into 3.41204E+17 and drop its last digits.
            for r in range(2, 1002):
                ws.cell(row=r, column=i).number_format = "@"
        if col.choices:
            dv = DataValidation(
                type="list", formula1='"' + ",".join(col.choices) + '"', allow_blank=True
            )
            dv.error = _("Choose a value from the list.")
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}50000")
    for r, example in enumerate(examples, start=2):
        for i, value in enumerate(example, start=1):
            ws.cell(row=r, column=i, value=value)
    ws.freeze_panes = "A2"

    info = wb.create_sheet("说明")
    info.column_dimensions["A"].width = 24
    info.column_dimensions["B"].width = 10
    info.column_dimensions["C"].width = 80
    info.append([_("Column"), _("Required"), _("Description")])
    for c in info[1]:
        c.font = Font(bold=True)
    for col in columns:
        info.append([col.header, "是" if col.required else "", str(col.help)])
    info.append([])
    info.append(
        [_("Notes"), "", _("The first row is the header; fill one record per row from row 2.")]
    )
    for note in notes:
        info.append(["", "", str(note)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_csv(columns: Sequence[Column], examples=()) -> bytes:
    """A CSV template in UTF-8 with BOM, which Excel on Chinese Windows opens correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([c.header for c in columns])
    for example in examples:
        writer.writerow(example)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# --- results ----------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import did: either `created` counts (everything was written) or `errors`
    (nothing was written)."""

    kind: str
    file_name: str = ""
    rows: int = 0
    created: dict[str, int] = field(default_factory=dict)
    errors: list[CellError] = field(default_factory=list)
    more_errors: int = 0  # errors beyond the listed ones

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.more_errors

    @classmethod
    def from_file_error(cls, kind: str, file_name: str, exc: DomainError) -> ImportResult:
        details = exc.details if isinstance(exc.details, list) else None
        if details:
            errors = [CellError(**d) for d in details]
        else:
            errors = [CellError(str(exc.message))]
        return cls(kind=kind, file_name=file_name, errors=errors)

    @classmethod
    def from_collector(cls, kind: str, table: Table, collector: ErrorCollector) -> ImportResult:
        errors = sorted(collector.errors, key=lambda e: (e.row or 0, e.column or "", e.message))
        return cls(
            kind=kind,
            file_name=table.file_name,
            rows=len(table.rows),
            errors=errors,
            more_errors=collector.truncated,
        )

    def error_lines(self) -> list[str]:
        """Errors as plain lines for the console: "第3行 C列(身份证号): …"."""
        lines = []
        for e in self.errors:
            if e.row is None:
                lines.append(str(e.message))
            elif e.column:
                lines.append(
                    _("Row %(row)d, column %(column)s (%(header)s): %(message)s")
                    % {"row": e.row, "column": e.column, "header": e.header, "message": e.message}
                )
            else:
                lines.append(_("Row %(row)d: %(message)s") % {"row": e.row, "message": e.message})
        if self.more_errors:
            lines.append(_("… and %(n)d more errors.") % {"n": self.more_errors})
        return lines
