"""Who a browser is: a random session id in a cookie signed with the site's secret (HMAC-SHA-256), and the
token every POST of that session must carry (bound to the session, so another site cannot forge one).

The session id is the person's user id on platform "web"; a cookie that does not verify is ignored and
the browser gets a new session (never an error: an old secret or a tampered cookie is not a reason to
refuse the page)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

COOKIE = "oasis_web"
SESSION_DAYS = 180  # a visitor keeps their history, follows and proposals for half a year of absence
SECRET_NAME = "web_sessions"  # its name among the secrets kept in the database (core/app_secrets.py)


def _mac(key: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass(frozen=True)
class SessionCookies:
    """Signs and checks session cookies and the per-session token of forms."""

    key: bytes
    secure: bool
    """Cookies only over https (OASIS_PUBLIC_URL is https)."""

    def new_id(self) -> str:
        return secrets.token_urlsafe(18)  # 144 random bits; no "." (the cookie's separator)

    def cookie_value(self, session_id: str) -> str:
        return f"{session_id}.{_mac(self.key, 'session', session_id)}"

    def verified(self, value: str | None) -> str | None:
        """The session id of a cookie signed with our key; None for a missing, forged or old one."""
        if not value or value.count(".") != 1:
            return None
        session_id, signature = value.split(".")
        if not session_id or len(session_id) > 64:
            return None
        if not hmac.compare_digest(signature, _mac(self.key, "session", session_id)):
            return None
        return session_id

    def of(self, request: web.Request) -> str | None:
        return self.verified(request.cookies.get(COOKIE))

    def short_code(self, session_id: str) -> str:
        """Five characters that tell visitors apart in public (not a part of the secret session id)."""
        return "".join(ch for ch in _mac(self.key, "name", session_id).upper() if ch.isalnum())[:5]

    def token(self, session_id: str) -> str:
        """The token forms of this session carry (a different MAC, so the cookie cannot be derived from it)."""
        return _mac(self.key, "csrf", session_id)

    def token_ok(self, session_id: str, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(str(token), self.token(session_id))

    def set_cookie(self, response: web.StreamResponse, session_id: str) -> None:
        response.set_cookie(COOKIE, self.cookie_value(session_id), max_age=SESSION_DAYS * 24 * 3600,
                            httponly=True, samesite="Lax", secure=self.secure, path="/")


def origin_of(url: str) -> str:
    """"https://oasis.example/path" → "https://oasis.example" (a default port left out, as browsers send it)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def same_origin(request: web.Request, public_url: str) -> bool:
    """The request's Origin is this site's: OASIS_PUBLIC_URL's, or the address the request itself was
    sent to (the Host it names). A page of another site sends its own Origin and is refused."""
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return False
    own = {origin_of(public_url)}
    if request.host:
        own.add(origin_of(f"{request.scheme}://{request.host}"))
    return origin_of(origin) in own
