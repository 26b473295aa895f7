"""The documented demo logins (listed in the README). Kept free of model imports so that
anything may import it early."""

from wangge.accounts.choices import Role

DEMO_PASSWORD = "wangge-demo-2026"

# The documented logins (README): username, role, what to try with it.
LOGINS = [
    ("admin", Role.COUNTY_ADMIN, "县级管理员，超级用户 county administrator, superuser"),
    ("town", Role.TOWN_ADMIN, "镇网格化管理办公室 town grid office"),
    ("chief", Role.VILLAGE_GRID_CHIEF, "村网格长 village grid chief"),
    ("cadre", Role.STATIONED_CADRE, "驻村点长 stationed village cadre"),
    ("worker", Role.GRID_WORKER, "专职网格员 full-time grid worker"),
    ("dept", Role.DEPARTMENT_STAFF, "部门（派出所） department staff (police station)"),
    ("supervisor", Role.SUPERVISOR, "督导 supervisor"),
    ("editor", Role.DISCLOSURE_EDITOR, "三务公开 disclosure editor"),
]
