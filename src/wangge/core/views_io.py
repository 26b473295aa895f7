"""Pages for spreadsheets in and out 导入导出: upload forms with the report of every bad cell,
template downloads, exports of the lists a user can see, department-list reports.

The views only check capabilities and hand the file to the import/export modules, which hold
the rules (all or nothing, scope, masking, audit)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from wangge.accounts.choices import Capability
from wangge.accounts.selectors import user_scope
from wangge.areas import exports as area_exports
from wangge.areas import imports as area_imports
from wangge.people import exports as people_exports
from wangge.people import imports as people_imports
from wangge.people.choices import ListSource, MatchStatus, TagTarget
from wangge.people.models import ListImport, Tag

from .errors import DomainError
from .excel import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, template_csv, template_xlsx, write_xlsx


@dataclass(frozen=True)
class ImportKind:
    key: str
    title: Any
    description: Any
    columns: list
    needs: tuple[str, ...]  # capabilities the user must hold somewhere


IMPORT_KINDS: dict[str, ImportKind] = {
    k.key: k
    for k in [
        ImportKind(
            "areas",
            gettext_lazy("Areas"),
            gettext_lazy(
                "Counties, towns, villages, grids and micro-grids with their codes and "
                "optional boundaries."
            ),
            area_imports.COLUMNS,
            (Capability.IMPORT, Capability.MANAGE_AREAS),
        ),
        ImportKind(
            "households",
            gettext_lazy("Households"),
            gettext_lazy("Households with their grid, address, phone and tags."),
            people_imports.HOUSEHOLD_COLUMNS,
            (Capability.IMPORT,),
        ),
        ImportKind(
            "residents",
            gettext_lazy("Residents"),
            gettext_lazy(
                "Members of households already registered, with their ID numbers; one 户主 "
                "per household."
            ),
            people_imports.RESIDENT_COLUMNS,
            (Capability.IMPORT,),
        ),
        ImportKind(
            "list",
            gettext_lazy("Department list"),
            gettext_lazy(
                "A list from civil affairs, medical insurance or the disabled persons' "
                "federation: residents are found by ID number and tagged."
            ),
            people_imports.LIST_COLUMNS,
            (Capability.IMPORT,),
        ),
    ]
}

EXPORT_KINDS = {
    "areas": (gettext_lazy("Areas"), area_exports.export_areas),
    "households": (gettext_lazy("Households"), people_exports.export_households),
    "residents": (gettext_lazy("Residents"), people_exports.export_residents),
}

CREATED_LABELS = {
    "areas": gettext_lazy("areas created"),
    "households": gettext_lazy("households created"),
    "residents": gettext_lazy("residents created"),
    "households_updated": gettext_lazy("households with new members"),
}

TEMPLATE_NAMES = {"areas": "区域", "households": "户", "residents": "居民", "list": "部门名单"}


def _can(user, capabilities) -> bool:
    return all(not user_scope(user, c).is_empty for c in capabilities)


def _require(user, capabilities) -> None:
    if not _can(user, capabilities):
        raise DjangoPermissionDenied(_("You may not do this."))


def _max_mb() -> str:
    return f"{settings.WANGGE_MAX_IMPORT_BYTES / (1024 * 1024):.0f}"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "At most %(mb)s MB and %(rows)d rows. The first row holds the column headers."
        ) % {"mb": _max_mb(), "rows": settings.WANGGE_MAX_IMPORT_ROWS}


class ListUploadForm(UploadForm):
    source = forms.ChoiceField(label=gettext_lazy("Source"), choices=ListSource.choices)
    tag = forms.ModelChoiceField(
        label=gettext_lazy("Tag to apply"),
        queryset=Tag.objects.none(),
        to_field_name="code",
        help_text=gettext_lazy("Every resident found on the list gets this tag."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].queryset = Tag.objects.filter(
            target__in=[TagTarget.RESIDENT, TagTarget.BOTH]
        ).order_by("id")


@login_required
@require_GET
def index(request):
    user = request.user
    can_export = _can(user, (Capability.EXPORT,))
    imports = [k for k in IMPORT_KINDS.values() if _can(user, k.needs)]
    if not imports and not can_export:
        raise DjangoPermissionDenied(_("You may not do this."))
    lists = ListImport.objects.select_related("tag").order_by("-id")
    if not user.is_superuser:
        lists = lists.filter(created_by=user)
    return render(
        request,
        "io/index.html",
        {
            "imports": imports,
            "exports": [(key, title) for key, (title, _fn) in EXPORT_KINDS.items()]
            if can_export
            else [],
            "list_imports": lists[:10],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_view(request, kind: str):
    spec = IMPORT_KINDS.get(kind)
    if spec is None:
        raise Http404
    _require(request.user, spec.needs)
    form_class = ListUploadForm if kind == "list" else UploadForm
    result = None
    status = 200
    if request.method == "POST":
        form = form_class(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if kind == "list":
                    record, result = people_imports.import_department_list(
                        actor=request.user,
                        upload=upload,
                        source=form.cleaned_data["source"],
                        tag=form.cleaned_data["tag"],
                        file_name=upload.name,
                    )
                    if record is not None:
                        return redirect("io:list_report", pk=record.pk)
                else:
                    run = {
                        "areas": area_imports.import_areas,
                        "households": people_imports.import_households,
                        "residents": people_imports.import_residents,
                    }[kind]
                    result = run(actor=request.user, upload=upload, file_name=upload.name)
            except DomainError as exc:
                form.add_error(None, str(exc.message))
                status = exc.status
            if result is not None and not result.ok:
                status = 400
        else:
            status = 400
    else:
        form = form_class()
    created = []
    if result is not None and result.ok:
        created = [(CREATED_LABELS.get(k, k), n) for k, n in result.created.items()]
    return render(
        request,
        "io/import.html",
        {"spec": spec, "form": form, "result": result, "created": created},
        status=status,
    )


@login_required
@require_GET
def template_download(request, kind: str, fmt: str):
    spec = IMPORT_KINDS.get(kind)
    if spec is None or fmt not in ("xlsx", "csv"):
        raise Http404
    name = TEMPLATE_NAMES[kind]
    notes = []
    if kind == "residents":
        notes.append(_("Import the households first; residents are attached by 户编号."))
    if kind == "list":
        notes.append(_("Other columns (amount, address…) may stay: they are ignored."))
    if fmt == "xlsx":
        data = template_xlsx(spec.columns, title=name, notes=notes)
        content_type = XLSX_CONTENT_TYPE
    else:
        data = template_csv(spec.columns)
        content_type = CSV_CONTENT_TYPE
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, f"{name}导入模板.{fmt}")
    return response


@login_required
@require_GET
def export_view(request, kind: str):
    if kind not in EXPORT_KINDS:
        raise Http404
    _require(request.user, (Capability.EXPORT,))
    _title, run = EXPORT_KINDS[kind]
    params = request.GET.copy()
    for junk in ("page", "per_page"):
        params.pop(junk, None)
    # Spooled: small exports stay in memory, large ones go to a temporary file.
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    run(user=request.user, out=out, params=params)
    out.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"{TEMPLATE_NAMES[kind]}-{stamp}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )


def _list_import_for(user, pk) -> ListImport:
    qs = ListImport.objects.select_related("tag", "created_by")
    if not user.is_superuser:
        qs = qs.filter(Q(created_by=user))
    return get_object_or_404(qs, pk=pk)


STATUS_ORDER = [
    MatchStatus.AMBIGUOUS,
    MatchStatus.UNMATCHED,
    MatchStatus.INVALID,
    MatchStatus.MATCHED,
]


@login_required
@require_GET
def list_report(request, pk: int):
    record = _list_import_for(request.user, pk)
    status = request.GET.get("status", "")
    rows = record.report
    if status in MatchStatus.values:
        rows = [r for r in rows if r.get("status") == status]
    labels = dict(MatchStatus.choices)
    return render(
        request,
        "io/list_report.html",
        {
            "record": record,
            "rows": [{**r, "status_label": labels.get(r.get("status"), "")} for r in rows[:2000]],
            "shown_all": len(rows) <= 2000,
            "status": status,
            "statuses": [(s, labels[s]) for s in STATUS_ORDER],
        },
    )


@login_required
@require_GET
def list_report_download(request, pk: int):
    record = _list_import_for(request.user, pk)
    labels = dict(MatchStatus.choices)
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    write_xlsx(
        out,
        headers=["行号", "姓名", "身份证号", "结果", "系统中的姓名"],
        widths=[8, 12, 22, 14, 14],
        rows=(
            [
                r.get("row"),
                r.get("name", ""),
                r.get("id_number", ""),
                str(labels.get(r.get("status"), r.get("status"))),
                r.get("resident_name", ""),
            ]
            for r in record.report
        ),
        sheet_title="比对结果",
    )
    out.seek(0)
    day = timezone.localtime(record.created_at).strftime("%Y%m%d")
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"部门名单比对结果-{record.pk}-{day}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )
