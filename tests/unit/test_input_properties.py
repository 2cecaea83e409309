"""Property-based: any hook URL or custom headers either validate to something the HTTP client can send, or are
refused with a 4xx up front. Never an exception later, when the request is built.

"Can send" is checked the way the client sends: the SSRF guard's Destination, urllib3's target encoding, and
urllib3's HTTPConnection building the request line and every header (nothing goes on the wire: a connection
only connects at endheaders()).
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import _encode_target

from functions.api.logic.hooks import check_url
from functions.api.schemas import CreateHook
from functions.common.delivery import build_request
from functions.common.errors import HookwireError
from functions.common.models import Event, Hook
from functions.common.ssrf import Destination, UrlGuard, UrlRefused

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PUBLIC_ADDRESS = "93.184.216.34"
GUARD = UrlGuard(allow_http=True, resolver=lambda _host, _port: [PUBLIC_ADDRESS])
PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters that matter: URL syntax, white space and controls, Latin-1, IDNA-mappable and other Unicode.
TRICKY = st.sampled_from(
    [
        *":/?#[]@!$&'()*+,;=%.-_~\\\" <>{}|^`",
        *["\r", "\n", "\t", "\x00", "\x7f", "\x85", "\u00a0", "\u200b", "\u2028", "\ufeff"],
        *["\u00e9", "\u00df", "\u20ac", "\u24db", "\u3002", "\uff0e", "\uff46", "\u0130", "\U0001f600", "\ud800"],
    ]
)
URL_TEXT = st.text(st.one_of(st.characters(codec="utf-8"), TRICKY, st.sampled_from(list("abcxyz019"))), max_size=30)
HOSTS = st.one_of(
    URL_TEXT,
    st.sampled_from(
        ["hooks.example.com", "ⓛocalhost", "127。0。0。1", "bücher.de", "[2606:4700::1111]", "xn--", "a..b"]
    ),
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["https", "http", "HTTPS", "ftp", ""]))
    port = draw(st.one_of(st.just(""), st.integers(-1, 70000).map(lambda p: f":{p}"), URL_TEXT.map(lambda t: ":" + t)))
    return f"{scheme}://{draw(HOSTS)}{port}/{draw(URL_TEXT)}" + draw(st.sampled_from(["", "?"])) + draw(URL_TEXT)


def _send_request_line(destination: Destination) -> HTTPConnection:
    """What WebhookHttpClient._send makes urllib3 do with a Destination, up to the first byte on the wire."""
    connection = HTTPConnection(destination.address, destination.port)
    connection.putrequest("POST", _encode_target(destination.target), skip_accept_encoding=True, skip_host=True)
    connection.putheader("host", destination.host_header)
    return connection


def _accepted_url(url: str) -> str | None:
    """The stored URL when the API accepts it; None when it is refused with a 4xx."""
    try:
        body = CreateHook.model_validate({"name": "x", "url": url, "on": "*"})
        check_url(body.url, GUARD)
    except ValidationError:
        return None
    except HookwireError as refused:
        assert 400 <= refused.status < 500 and refused.field == "url"
        return None
    return body.url


@PROPERTY
@given(urls())
@example("http://ⓛocalhost/x")
@example("http://127。0。0。1/")
@example("https://hooks.example.com/a\r\nX: y")
@example("https://bücher.de/ä?q=€")
def test_a_url_is_either_refused_or_sendable(url: str) -> None:
    stored = _accepted_url(url)
    if stored is None:
        return
    # Then the stored form is ASCII and the client can build the request from it
    assert stored.isascii()
    _send_request_line(GUARD.check(stored))


@PROPERTY
@given(urls())
def test_the_guard_at_connect_time_refuses_or_yields_a_sendable_destination(url: str) -> None:
    """A URL stored before these rules existed goes through the same normalisation when it is sent."""
    try:
        destination = GUARD.check(url)
    except UrlRefused:
        return
    _send_request_line(destination)


HEADER_NAMES = st.one_of(
    st.text(st.one_of(st.characters(codec="latin-1"), TRICKY), min_size=0, max_size=12),
    st.sampled_from(["X-Env", "Connection", "Host", "Proxy-Foo", "webhook-id", "TE", "Content-Length", "X-A"]),
)
HEADER_VALUES = st.text(st.one_of(st.characters(codec="utf-8"), TRICKY, st.characters(codec="latin-1")), max_size=20)


def _hook(headers: dict[str, str]) -> Hook:
    return Hook(
        id="hook_1",
        tenant_id="ten_1",
        name="x",
        url="https://hooks.example.com/",
        on=["*"],
        headers=headers,
        created_at=NOW,
        updated_at=NOW,
    )


@PROPERTY
@given(st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=4))
@example({"X-Price": "price €5"})
@example({"X-A": "a\r\nInjected: 1"})
@example({"Transfer-Encoding": "chunked"})
@example({"0\n": "a"})  # `$` matches before a trailing newline: the name must match in full
def test_custom_headers_are_either_refused_or_sendable(headers: dict[str, str]) -> None:
    try:
        body = CreateHook.model_validate(
            {"name": "x", "url": "https://hooks.example.com/", "on": "*", "headers": headers}
        )
    except ValidationError as refused:
        assert refused.errors()[0]["loc"][0] == "headers"
        return
    # Then every header of the request the delivery builds can be put on the connection
    event = Event(id="evt_1", tenant_id="ten_1", type="lead.created", data="{}", created_at=NOW)
    request = build_request(_hook(body.headers), event, NOW, ["whsec_" + "A" * 32])
    connection = _send_request_line(GUARD.check(request.url))
    for name, value in request.headers.items():
        connection.putheader(name, value)
