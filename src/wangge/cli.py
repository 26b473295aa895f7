"""The `wangge` console command: a thin wrapper around manage.py.

wangge serve [--port 8000]        migrate, load the demo town if empty, serve (gunicorn) + task worker
wangge demo --preset town|county  build demo data
wangge import KIND FILE            import areas / households / residents / a department list
wangge export KIND -o FILE         export a list as .xlsx
wangge <any manage.py command>
"""

from __future__ import annotations

import os
import sys

ALIASES = {"import": "wangge_import", "export": "wangge_export"}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wangge.settings")
    if len(argv) > 1 and argv[1] in ALIASES:
        argv[1] = ALIASES[argv[1]]
    from django.core.management import execute_from_command_line

    execute_from_command_line(["wangge", *argv[1:]])


if __name__ == "__main__":
    main()
