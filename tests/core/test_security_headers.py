"""Every page carries the security headers and the Content Security Policy."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/login/", "/healthz", "/admin/login/"])
def test_pages_send_the_security_headers(client, path):
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self';" in csp + ";", "scripts only from our own files"
    assert "'unsafe-inline'" not in csp.split("style-src")[0], "no inline script, ever"
    assert "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_session_and_csrf_cookies_are_httponly_and_samesite(client, deployer, settings):
    deployer.set_password("a long passphrase")
    deployer.save()
    page = client.get("/login/")
    signed_in = client.post(
        "/login/", {"username": deployer.username, "password": "a long passphrase"}
    )
    assert signed_in.status_code == 302, "the sign-in did not succeed"
    csrf = page.cookies[settings.CSRF_COOKIE_NAME]
    session = signed_in.cookies[settings.SESSION_COOKIE_NAME]
    for name, cookie in (("csrf", csrf), ("session", session)):
        assert cookie["httponly"] is True, f"{name} cookie readable by scripts"
        assert cookie["samesite"] == "Lax", f"{name} cookie SameSite={cookie['samesite']!r}"
