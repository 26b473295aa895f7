"""Spreadsheets in and out, mounted at /io/."""

from django.urls import path, register_converter

from wangge.core import views_io


class _Format:
    regex = "xlsx|csv"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(_Format, "sheetfmt")

app_name = "io"

urlpatterns = [
    path("", views_io.index, name="index"),
    path("import/<slug:kind>/", views_io.import_view, name="import"),
    path("template/<slug:kind>.<sheetfmt:fmt>", views_io.template_download, name="template"),
    path("export/<slug:kind>.xlsx", views_io.export_view, name="export"),
    path("list/<int:pk>/", views_io.list_report, name="list_report"),
    path("list/<int:pk>/report.xlsx", views_io.list_report_download, name="list_report_xlsx"),
]
