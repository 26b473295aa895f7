"""Disclosure tables: validation, masking of ID numbers and import from an xlsx sheet.

A table is stored as {"columns": [str, ...], "rows": [[cell, ...], ...]} with cells that are
strings, numbers or null.
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
    return {
        "columns": [mask_cell(c) for c in table.get("columns") or []],
        "rows": [[mask_cell(c) for c in row] for row in table.get("rows") or []],
    }


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
    out_rows = []
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
        out_rows.append(list(row))
    return {"columns": [c.strip() for c in columns], "rows": out_rows}


# --- xlsx import -----------------------------------------------------------------------------


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _kind(header: str) -> str:
    h = header.lower()
    if any(w in h for w in DATE_HEADERS):
        return "date"
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
                if isinstance(v, str) and v.strip().upper() in EXCEL_ERRORS:
                    errors.append(
                        {"row": r, "column": _column_letter(c), "error": _("formula error")}
                    )
                    row.append(None)
                    continue
                if kind == "number":
                    cell = _number(v)
                    err = _("not a number")
                elif kind == "date":
                    cell = _date(v)
                    err = _("not a date")
                else:
                    cell = _text(v)[:MAX_CELL]
                    err = ""
                if cell is None:
                    errors.append({"row": r, "column": _column_letter(c), "error": err})
                row.append(cell)
            rows.append(row)
    finally:
        wb.close()
    if header is None:
        raise DomainError(_("The sheet is empty."), field="file")
    if errors:
        first = errors[0]
        raise DomainError(
            _("Row %(row)s, column %(column)s: %(error)s (%(count)d problems in all).")
            % {**first, "count": len(errors)},
            field="file",
            code="bad_cells",
            details={"errors": [{**e, "error": str(e["error"])} for e in errors[:100]]},
        )
    return {"columns": header, "rows": rows}
