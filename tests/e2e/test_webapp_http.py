"""The web app's files as the server sends them: types, caching, service-worker scope, CSP."""

from __future__ import annotations

import json
import re
import struct
from contextlib import contextmanager

import pytest

from homerelay.server.web.webapp import CONTENT_SECURITY_POLICY


@contextmanager
def fetched(client, path):
    """GET a path and close the response afterwards (files are streamed from disk)."""
    response = client.get(path)
    try:
        yield response
    finally:
        response.close()


def body(client, path) -> bytes:
    """The bytes of a GET answer."""
    with fetched(client, path) as response:
        return response.get_data()


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_app_shell_is_served_with_a_strict_policy(client):
    with fetched(client, "/") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/html"
        assert response.headers["Cache-Control"] == "no-cache"
        policy = response.headers["Content-Security-Policy"]
        assert policy == CONTENT_SECURITY_POLICY
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["object-src"] == "'none'"
        assert directives["base-uri"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe" not in policy


def test_shell_has_no_inline_script_or_style(client):
    html = body(client, "/").decode()
    assert "<style" not in html
    assert " style=" not in html
    assert not re.search(r"\son[a-z]+\s*=", html), "no inline event handlers (onclick=...)"
    for tag in html.split("<script")[1:]:
        assert 'src="' in tag.split(">", 1)[0], "every script is a file"


def test_service_worker_may_control_the_whole_app(client):
    with fetched(client, "/sw.js") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/javascript"
        assert response.headers["Service-Worker-Allowed"] == "/"
        assert response.headers["Cache-Control"] == "no-cache"


def test_service_worker_precaches_only_files_that_exist(client):
    source = body(client, "/sw.js").decode()
    listed = source.split("const SHELL = [", 1)[1].split("];", 1)[0]
    urls = [line.strip().strip(",").strip('"') for line in listed.splitlines() if line.strip()]
    assert "/" in urls and "/assets/js/app.js" in urls
    for url in urls:
        with fetched(client, url) as response:
            assert response.status_code == 200, url
        assert not url.startswith("/api/")


def test_manifest_makes_the_app_installable(client):
    with fetched(client, "/manifest.webmanifest") as response:
        assert response.status_code == 200
        assert response.mimetype == "application/manifest+json"
        manifest = json.loads(response.get_data(as_text=True))
        assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
        sizes = {}
        for icon in manifest["icons"]:
            if icon["type"] != "image/png":
                continue
            data = body(client, icon["src"])
            width, height = png_size(data)
            assert icon["sizes"] == f"{width}x{height}"
            sizes.setdefault(icon.get("purpose", "any"), set()).add(width)
        assert {192, 512} <= sizes["any"]
        assert 512 in sizes["maskable"]


@pytest.mark.parametrize(
    "path, mimetype",
    [
        ("/assets/js/app.js", "text/javascript"),
        ("/assets/js/screens/devices.js", "text/javascript"),
        ("/assets/vendor/uPlot.esm.js", "text/javascript"),
        ("/assets/css/app.css", "text/css"),
        ("/assets/icons/icon.svg", "image/svg+xml"),
    ],
)
def test_assets_have_their_types(client, path, mimetype):
    with fetched(client, path) as response:
        assert response.status_code == 200
        assert response.mimetype == mimetype


def test_vendored_chart_library_ships_with_its_licence(client):
    licence = body(client, "/assets/vendor/uPlot.LICENSE").decode()
    assert "MIT License" in licence


@pytest.mark.parametrize("path", ["/assets/../server/webapp.py", "/assets/%2e%2e/server/webapp.py", "/assets/nope.js"])
def test_nothing_outside_the_static_folder(client, path):
    with fetched(client, path) as response:
        assert response.status_code == 404


def test_app_never_sets_markup_from_text():
    """Server text reaches the page through textContent only: no innerHTML anywhere in our code."""
    from homerelay.server.web.webapp import STATIC_DIR

    for script in (STATIC_DIR / "js").rglob("*.js"):
        source = script.read_text()
        for forbidden in (".innerHTML", ".outerHTML", "insertAdjacentHTML(", "document.write(", "eval(", "new Function("):
            assert forbidden not in source, f"{script.name} uses {forbidden}"
