from pathlib import Path

import wangge


def test_favicon_is_served_and_linked(client, db):
    r = client.get("/favicon.ico")
    assert r.status_code == 302 and r["Location"] == "/static/wangge/favicon.svg"
    svg = Path(wangge.__file__).parent / "static" / "wangge" / "favicon.svg"
    assert svg.read_text().startswith("<svg")
    page = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/wangge/favicon.svg"' in page
