"""Case intake over HTTP with the production server, on the county demo with a million cases.

The bench starts gunicorn (2 sync workers, as `wangge serve`) on 127.0.0.1 with a free port
against the benchmark database, then drives it from this process: a pool of threads, each
with its own keep-alive connection (http.client), a bounded number of requests and a time
cap. Intake is POST /api/cases/ with a token and an Idempotency-Key, a point inside a grid of
one town: validation, point → grid, deadlines on the working calendar, assignment, case
number, timeline, audit and rollups, then the case detail as the answer. The baseline is the
same server's throughput on /healthz (one `SELECT 1`). Target: intake ≥ 0.40 × healthz.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from common import ROOT, bench_database_url, emit, ensure_county_data, setup_django

WORKERS = 2
THREADS = 4
HEALTH_REQUESTS = 3000
INTAKE_REQUESTS = 1500
TIME_CAP = 40.0  # seconds per measurement
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=bench_database_url(),
        DJANGO_SETTINGS_MODULE="wangge.settings",
        PYTHONPATH=str(ROOT / "src"),
        LOG_LEVEL="WARNING",
    )
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "wangge.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(WORKERS),
        "--timeout",
        "120",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("gunicorn did not come up")


def drive(port: int, make_request, total: int) -> tuple[float, int, int]:
    """(requests per second, ok, failed) for `total` requests (or the time cap)."""
    counter = iter(range(total))
    lock = threading.Lock()
    ok = failed = 0
    stop_at = time.monotonic() + TIME_CAP

    def worker():
        nonlocal ok, failed
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        mine_ok = mine_failed = 0
        while time.monotonic() < stop_at:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            method, path, body, headers = make_request(i)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                good = response.status < 300
            except (OSError, http.client.HTTPException):
                conn.close()
                good = False
            mine_ok += good
            mine_failed += not good
        conn.close()
        with lock:
            ok += mine_ok
            failed += mine_failed

    t0 = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        for f in [pool.submit(worker) for _ in range(THREADS)]:
            f.result()
    elapsed = time.perf_counter() - t0
    return ok / elapsed, ok, failed


def intake_setup():
    """A town admin's API token and points inside the grids of their town."""
    from rest_framework.authtoken.models import Token

    from wangge.accounts.models import User
    from wangge.areas.choices import AreaLevel
    from wangge.areas.models import Area

    user = User.objects.get(username="town")
    town = user.posts.filter(role="town_admin").select_related("area").first().area
    token, _ = Token.objects.get_or_create(user=user)
    rnd = random.Random(11)
    points = []
    grids = Area.objects.filter(
        path__startswith=town.path, level=AreaLevel.GRID, boundary__isnull=False
    )
    for grid in grids:
        ring = grid.boundary["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        for _ in range(4):
            points.append(
                (
                    round(min(ys) + (max(ys) - min(ys)) * (0.05 + 0.9 * rnd.random()), 6),
                    round(min(xs) + (max(xs) - min(xs)) * (0.05 + 0.9 * rnd.random()), 6),
                )
            )
    rnd.shuffle(points)
    return token.key, points, town


def main():
    setup_django(bench_db=True)
    cases = ensure_county_data()
    from wangge.cases.models import Case

    token, points, town = intake_setup()
    categories = ["environment", "infrastructure", "livelihood", "dispute_neighbour", "safety"]
    run = uuid.uuid4().hex[:8]
    before = Case.objects.count()
    port = free_port()
    server = start_server(port)
    try:

        def health(i):
            return "GET", "/healthz", None, {}

        def intake(i):
            lat, lng = points[i % len(points)]
            body = json.dumps(
                {
                    "source": "api",
                    "category": categories[i % len(categories)],
                    "description": f"压测上报 bench report {i}：路灯不亮，请尽快处理",
                    "lat": lat,
                    "lng": lng,
                }
            )
            headers = {
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"bench-{run}-{i}",
            }
            return "POST", "/api/cases/", body, headers

        drive(port, health, 200)  # warm up both workers
        drive(port, intake, 40)  # loads the point → grid index in each worker
        health_rps, health_ok, health_failed = drive(port, health, HEALTH_REQUESTS)
        intake_rps, intake_ok, intake_failed = drive(port, intake, INTAKE_REQUESTS)
    finally:
        server.terminate()
        server.wait(timeout=30)
    created = Case.objects.count() - before
    emit(
        "case_intake_http",
        intake_rps,
        "requests/s",
        baseline=health_rps,
        target=0.40,
        better="higher",
        target_of="ratio",
        server=f"gunicorn {WORKERS} sync workers",
        client=f"{THREADS} threads, http.client keep-alive, 127.0.0.1",
        endpoint="POST /api/cases/ (token, Idempotency-Key)",
        baseline_is="GET /healthz on the same server",
        intake_ok=intake_ok,
        intake_failed=intake_failed,
        health_ok=health_ok,
        health_failed=health_failed,
        cases_created=created,
        town=town.name,
        cases=cases,
    )


if __name__ == "__main__":
    main()
