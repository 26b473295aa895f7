"""Disclosure tables: validation, masking of ID numbers, totals, and import from an xlsx sheet
or the table form.

A table is stored as {"columns": [str, ...], "rows": [[cell, ...], ...]} with cells that are
strings, numbers or null, and optionally "types": [type, ...] (text, number, money, date), one
a column. A typed column is checked cell by cell the same way whether the table came from an
xlsx file, the form or the API: numbers and money are kept as "1234.50", dates as "2026-10-31".
Money columns are totalled.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

from wangge.core.errors import DomainError
from wangge.people.idnumber import mask

MAX_COLUMNS = 30
MAX_ROWS = 5000
MAX_CELL = 500

# Anything that looks like an 18-character resident ID number (17 digits and a digit or X),
# whether or not its check digit is right: a mistyped number is still personal data.
ID_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")

EXCEL_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#SPILL!"}
# Header words that make a column numeric (amounts) or a date column.
NUMERIC_HEADERS = (
    "金额",
    "收入",
    "支出",
    "余额",
    "元",
    "单价",
    "数量",
    "面积",
    "amount",
    "income",
    "expense",
    "balance",
)
DATE_HEADERS = ("日期", "date")
# Numeric headers that are money (totalled); the others (数量 面积 单价) are plain numbers.
MONEY_HEADERS = ("金额", "收入", "支出", "余额", "元", "amount", "income", "expense", "balance")
COLUMN_TYPES = ("text", "number", "money", "date")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


def mask_text(value: str) -> str:
    return ID_NUMBER_RE.sub(lambda m: mask(m.group(0)), value)


def mask_cell(value):
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, int) and not isinstance(value, bool) and len(str(value)) == 18:
        return mask(str(value))
    return value


def mask_table(table: dict) -> dict:
    if not table:
        return {}
    out = {
        "columns": [mask_cell(c) for c in table.get("columns") or []],
        "rows": [[mask_cell(c) for c in row] for row in table.get("rows") or []],
    }
    if table.get("types"):
        out["types"] = list(table["types"])
    return out


def column_types(table: dict) -> list[str]:
    """The type of each column: as stored, or guessed from the header for an untyped table."""
    columns = list((table or {}).get("columns") or [])
    types = list((table or {}).get("types") or [])
    if len(types) == len(columns):
        return types
    return [_kind(str(c)) for c in columns]


def totals(table: dict) -> list | None:
    """The sum of every money column ("1234.50"), None for the other columns; None when the
    table has no money column. Cells that are not numbers are left out."""
    types = column_types(table)
    if "money" not in types:
        return None
    sums: list = [Decimal(0) if t == "money" else None for t in types]
    for row in (table or {}).get("rows") or []:
        for c, t in enumerate(types):
            if t == "money" and c < len(row) and row[c] not in (None, ""):
                value = _number(row[c])
                if value is not None:
                    sums[c] += Decimal(value)
    return [f"{v.quantize(Decimal('0.01'))}" if v is not None else None for v in sums]


def money_text(value):
    """A money cell as shown: 3200 → "3200.00"; anything that is not a number as it is."""
    if value is None or value == "":
        return value
    return _number(value) or value


def coerce_cell(kind: str, value):
    """(value, error): a cell of a column of `kind` as stored, or the reason it cannot be.
    Empty cells are None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, ""
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        return None, _("formula error")
    if kind in ("number", "money"):
        cell = _number(value)
        return cell, "" if cell is not None else _("not a number")
    if kind == "date":
        cell = _date(value)
        return cell, "" if cell is not None else _("not a date")
    text = _text(value)
    if len(text) > MAX_CELL:
        return None, _("at most %(n)d characters") % {"n": MAX_CELL}
    return text, ""


def _cell_errors(errors: list[dict], *, field: str = "table"):
    first = errors[0]
    return DomainError(
        _("Row %(row)s, column %(column)s: %(error)s (%(count)d problems in all).")
        % {**first, "count": len(errors)},
        field=field,
        code="bad_cells",
        details={"errors": [{**e, "error": str(e["error"])} for e in errors[:100]]},
    )


def clean_table(table) -> dict:
    """Check the shape of a table given as JSON (API, form); raise DomainError otherwise."""
    if table in (None, "", {}):
        return {}
    if not isinstance(table, dict):
        raise DomainError(_("The table must be an object with columns and rows."), field="table")
    columns = table.get("columns") or []
    rows = table.get("rows") or []
    if not isinstance(columns, list) or not all(isinstance(c, str) and c.strip() for c in columns):
        raise DomainError(_("Every column needs a name."), field="table")
    if len(columns) > MAX_COLUMNS:
        raise DomainError(_("At most %(n)d columns.") % {"n": MAX_COLUMNS}, field="table")
    if not isinstance(rows, list) or len(rows) > MAX_ROWS:
        raise DomainError(_("At most %(n)d rows.") % {"n": MAX_ROWS}, field="table")
    types = table.get("types")
    if types is not None and (
        not isinstance(types, list)
        or len(types) != len(columns)
        or any(t not in COLUMN_TYPES for t in types)
    ):
        raise DomainError(
            _("Every column needs a type: text, number, money or date."), field="table"
        )
    out_rows = []
    errors: list[dict] = []
    for r, row in enumerate(rows, 1):
        if not isinstance(row, list) or len(row) != len(columns):
            raise DomainError(
                _("Row %(row)d has %(got)s cells, the table has %(n)d columns.")
                % {"row": r, "got": len(row) if isinstance(row, list) else "?", "n": len(columns)},
                field="table",
                details={"row": r},
            )
        for c, cell in enumerate(row, 1):
            if cell is not None and not isinstance(cell, str | int | float):
                raise DomainError(
                    _("Row %(row)d, column %(col)d: a cell must be text or a number.")
                    % {"row": r, "col": c},
                    field="table",
                    details={"row": r, "column": c},
                )
            if isinstance(cell, str) and len(cell) > MAX_CELL:
                raise DomainError(
                    _("Row %(row)d, column %(col)d: at most %(n)d characters.")
                    % {"row": r, "col": c, "n": MAX_CELL},
                    field="table",
                    details={"row": r, "column": c},
                )
        if types is None:
            out_rows.append(list(row))
            continue
        out = []
        for c, (kind, cell) in enumerate(zip(types, row, strict=True), 1):
            value, error = coerce_cell(kind, cell)
            if error:
                errors.append({"row": r, "column": _column_letter(c), "error": error})
            out.append(value)
        out_rows.append(out)
    if errors:
        raise _cell_errors(errors)
    cleaned = {"columns": [c.strip() for c in columns], "rows": out_rows}
    if types is not None:
        cleaned["types"] = list(types)
    return cleaned


# --- xlsx import -----------------------------------------------------------------------------


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _kind(header: str) -> str:
    h = header.lower()
    if any(w in h for w in DATE_HEADERS):
        return "date"
    if any(w in h for w in MONEY_HEADERS) and "单价" not in h:
        return "money"
    if any(w in h for w in NUMERIC_HEADERS):
        return "number"
    return "text"


def _number(value) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        d = Decimal(str(value))
    else:
        text = str(value).strip().replace(",", "").replace("，", "").lstrip("¥￥")
        try:
            d = Decimal(text)
        except InvalidOperation:
            return None
    if not d.is_finite():
        return None
    return f"{d.quantize(Decimal('0.01'))}"


def _date(value) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _text(value) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_xlsx(file) -> dict:
    """Read the first sheet of an xlsx file into a table: the first non-empty row is the
    header; amount columns (金额 收入 支出 余额…) must hold numbers and date columns dates.
    Every bad cell is reported with its row number and column letter, and nothing is kept."""
    from openpyxl import load_workbook

    size = getattr(file, "size", None)
    if size is not None and size > settings.WANGGE_MAX_IMPORT_BYTES:
        raise DomainError(_("The file is too large."), field="file")
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise DomainError(_("This is not a readable xlsx file."), field="file") from exc
    try:
        ws = wb.worksheets[0]
        header: list[str] | None = None
        kinds: list[str] = []
        rows: list[list] = []
        errors: list[dict] = []
        for r, values in enumerate(ws.iter_rows(values_only=True), 1):
            values = list(values)
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            if header is None:
                while values and (values[-1] is None or str(values[-1]).strip() == ""):
                    values.pop()
                for c, v in enumerate(values, 1):
                    if v is None or not str(v).strip():
                        errors.append(
                            {"row": r, "column": _column_letter(c), "error": _("empty header")}
                        )
                if len(values) > MAX_COLUMNS:
                    raise DomainError(
                        _("At most %(n)d columns.") % {"n": MAX_COLUMNS}, field="file"
                    )
                header = [_text(v) if v is not None else "" for v in values]
                kinds = [_kind(h) for h in header]
                continue
            if len(rows) >= MAX_ROWS:
                raise DomainError(_("At most %(n)d rows.") % {"n": MAX_ROWS}, field="file")
            extra = [v for v in values[len(header) :] if v not in (None, "")]
            if extra:
                errors.append(
                    {
                        "row": r,
                        "column": _column_letter(len(header) + 1),
                        "error": _("value outside the table's columns"),
                    }
                )
            row = []
            for c, kind in enumerate(kinds, 1):
                v = values[c - 1] if c - 1 < len(values) else None
                if v is None or (isinstance(v, str) and not v.strip()):
                    row.append(None)
                    continue
                if kind == "text" and not (
                    isinstance(v, str) and v.strip().upper() in EXCEL_ERRORS
                ):
                    row.append(_text(v)[:MAX_CELL])  # a long text is cut, not refused
                    continue
                cell, err = coerce_cell(kind, v)
                if err:
                    errors.append({"row": r, "column": _column_letter(c), "error": err})
                row.append(cell)
            rows.append(row)
    finally:
        wb.close()
    if header is None:
        raise DomainError(_("The sheet is empty."), field="file")
    if errors:
        raise _cell_errors(errors, field="file")
    return {"columns": header, "rows": rows, "types": kinds}
