"""The web chat's small parts: signed session cookies, the origin a request may come from, the limits."""

from __future__ import annotations

from adapters.webchat.limits import Allowance
from adapters.webchat.session import SessionCookies, origin_of


def test_a_cookie_verifies_only_with_its_key_and_unchanged() -> None:
    cookies = SessionCookies(b"key one", secure=False)
    session_id = cookies.new_id()
    value = cookies.cookie_value(session_id)
    assert cookies.verified(value) == session_id
    assert SessionCookies(b"key two", secure=False).verified(value) is None
    sid, signature = value.split(".")
    assert cookies.verified(f"{sid}x.{signature}") is None
    assert cookies.verified(f"{sid}.{signature[:-1]}A" if signature[-1] != "A" else f"{sid}.{signature[:-1]}B") is None
    for broken in (None, "", "no-dot", "a.b.c", f".{signature}"):
        assert cookies.verified(broken) is None
    assert cookies.token_ok(session_id, cookies.token(session_id))
    assert not cookies.token_ok(session_id, signature) and not cookies.token_ok(session_id, None)
    assert cookies.token(session_id) != signature  # the form token does not give the cookie away
    assert len(cookies.short_code(session_id)) == 5 and cookies.short_code(session_id) not in session_id


def test_origins_compare_scheme_host_and_port_as_browsers_send_them() -> None:
    assert origin_of("https://Oasis.example/chat") == "https://oasis.example"
    assert origin_of("https://oasis.example:443") == "https://oasis.example"
    assert origin_of("http://127.0.0.1:8080/x") == "http://127.0.0.1:8080"
    assert origin_of("http://oasis.example") != origin_of("https://oasis.example")


def test_an_allowance_refuses_over_any_window_and_says_how_long_to_wait() -> None:
    now = [0.0]
    allowance = Allowance(((2, 10.0), (3, 100.0)), clock=lambda: now[0])
    assert allowance.take("a") == 0 and allowance.take("a") == 0
    assert allowance.take("a") == 10.0  # the short window is full
    assert allowance.take("b") == 0  # another key has its own
    now[0] = 10.5
    assert allowance.take("a") == 0
    now[0] = 21.0
    assert allowance.take("a") == 79.0  # now the long window: 3 in 100 s, the first at 0
