"""The SSRF guard's table: every URL is allowed or refused by a named rule."""

import re
from urllib.parse import urlsplit

import pytest

from functions.common.ssrf import UrlGuard, UrlRefused

FAKE_DNS = {
    "hooks.example.com": ["93.184.216.34"],
    "v6.example.com": ["2606:4700::1111"],
    "dual.example.com": ["93.184.216.34", "10.0.0.5"],  # one bad answer is enough to refuse
    "internal.example.com": ["10.1.2.3"],
    "metadata.example.com": ["169.254.169.254"],
    "localhost": ["127.0.0.1", "::1"],
    "rebind.example.com": ["127.0.0.1"],
}


def fake_resolver(host: str, _port: int) -> list[str]:
    if host not in FAKE_DNS:
        raise OSError("NXDOMAIN")
    return FAKE_DNS[host]


GUARD = UrlGuard(allow_http=False, resolver=fake_resolver)

ALLOWED = [
    "https://hooks.example.com/webhook",
    "https://hooks.example.com:8443/a/b?c=d",
    "https://v6.example.com/",
    "https://93.184.216.34/hook",
    "https://[2606:4700::1111]/hook",
    "https://8.8.8.8",
    "https://1.1.1.1:443/x",
    "https://[2001:4860:4860::8888]/",
    "https://hooks.example.com/path%20with%20escapes",
    "https://HOOKS.example.com/upper",  # host names are case-insensitive
]

REFUSED = [
    ("http://hooks.example.com/", "https-only"),
    ("ftp://hooks.example.com/", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("gopher://hooks.example.com/", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("https://user:pw@hooks.example.com/", "credentials"),
    ("https://user@hooks.example.com/", "credentials"),
    ("https:///nohost", "syntax"),
    ("https://hooks.example.com/#frag", "syntax"),
    ("https://hooks.example.com:99999/", "syntax"),
    ("https://nx.example.com/", "dns"),
    ("https://127.0.0.1/", "address"),
    ("https://127.1.2.3/", "address"),
    ("https://localhost/", "address"),
    ("https://[::1]/", "address"),
    ("https://0.0.0.0/", "address"),
    ("https://[::]/", "address"),
    ("https://10.0.0.1/", "address"),
    ("https://172.16.5.4/", "address"),
    ("https://192.168.1.1/", "address"),
    ("https://169.254.169.254/latest/meta-data/", "address"),
    ("https://[fd00:ec2::254]/", "address"),
    ("https://[fe80::1]/", "address"),
    ("https://100.64.0.1/", "address"),
    ("https://100.127.255.254/", "address"),
    ("https://224.0.0.1/", "address"),
    ("https://[ff02::1]/", "address"),
    ("https://240.0.0.1/", "address"),
    ("https://255.255.255.255/", "address"),
    ("https://192.0.2.10/", "address"),
    ("https://198.18.0.1/", "address"),
    ("https://[fc00::1]/", "address"),
    ("https://[::ffff:127.0.0.1]/", "address"),
    ("https://[::ffff:169.254.169.254]/", "address"),
    ("https://[::ffff:10.0.0.1]/", "address"),
    ("https://[::127.0.0.1]/", "address"),
    ("https://[64:ff9b::a00:1]/", "address"),
    ("https://[2002:7f00:1::]/", "address"),
    ("https://internal.example.com/", "address"),
    ("https://metadata.example.com/", "address"),
    ("https://dual.example.com/", "address"),
    ("https://rebind.example.com/", "address"),
    ("https://2130706433/", "address"),  # decimal 127.0.0.1
    ("https://0x7f000001/", "address"),  # hex 127.0.0.1
]


def _resolves_numeric(host: str, port: int) -> list[str]:
    """Numeric host forms (decimal, hex) go through the real resolver, as on Lambda."""
    if host in FAKE_DNS or not host[0].isdigit():
        return fake_resolver(host, port)
    import socket

    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


@pytest.mark.parametrize("url", ALLOWED)
def test_public_https_urls_are_allowed(url: str) -> None:
    destination = GUARD.check(url)
    assert destination.scheme == "https" and destination.address


# The sentence each rule shows the user: it names the `url` field and, where a host is involved, the host.
RULE_MESSAGES = {
    "https-only": r"url must use https: plain http is not allowed on this deployment",
    "scheme": r"url must use https \(or http where allowed\)",
    "credentials": r"url must not contain credentials; use custom headers instead",
    "syntax": r"url (has no host|must not contain a #fragment|is not a valid URL: .+)",
    "dns": r"url host {host} does not resolve",
    "address": r"url host {host} resolves to [0-9a-f.:]+, an? [a-zA-Z0-9 -]+ address, which webhooks may not reach",
}


@pytest.mark.parametrize(("url", "rule"), REFUSED)
def test_refused_urls_name_the_rule_and_say_why(url: str, rule: str) -> None:
    # Given a guard that allows only https
    guard = UrlGuard(allow_http=False, resolver=_resolves_numeric)
    # When a refused URL is checked
    with pytest.raises(UrlRefused) as refused:
        guard.check(url)
    # Then the refusal names its rule, and its sentence is that rule's, naming the url field and the host
    assert refused.value.rule == rule
    expected = RULE_MESSAGES[rule].format(host=re.escape(urlsplit(url).hostname or ""))
    assert re.fullmatch(expected, str(refused.value))


def test_the_table_is_large_enough() -> None:
    assert len(ALLOWED) + len(REFUSED) >= 40


def test_address_refusals_say_which_kind_of_address() -> None:
    messages = {}
    for url in (
        "https://127.0.0.1/",
        "https://10.0.0.1/",
        "https://169.254.169.254/",
        "https://100.64.0.1/",
        "https://[::ffff:127.0.0.1]/",
    ):
        with pytest.raises(UrlRefused) as refused:
            GUARD.check(url)
        messages[url] = str(refused.value)
    assert "loopback" in messages["https://127.0.0.1/"]
    assert "private" in messages["https://10.0.0.1/"]
    assert "metadata" in messages["https://169.254.169.254/"]
    assert "carrier-grade NAT" in messages["https://100.64.0.1/"]
    assert "IPv6 form of a loopback" in messages["https://[::ffff:127.0.0.1]/"]


def test_the_operator_allowlist_overrides_the_guard() -> None:
    guard = UrlGuard.from_settings(allow_http=True, allowed_cidrs="127.0.0.0/8, 10.1.0.0/16", resolver=fake_resolver)
    assert guard.check("http://127.0.0.1:8080/hook").address == "127.0.0.1"
    assert guard.check("https://internal.example.com/").address == "10.1.2.3"
    with pytest.raises(UrlRefused):
        guard.check("https://192.168.1.1/")


def test_plain_http_only_where_allowed() -> None:
    assert UrlGuard(allow_http=True, resolver=fake_resolver).check("http://hooks.example.com/").port == 80


def test_destination_pins_the_checked_address_and_keeps_the_host_header() -> None:
    destination = GUARD.check("https://hooks.example.com:8443/a?b=c")
    assert destination.address == "93.184.216.34" and destination.target == "/a?b=c"
    assert destination.host_header == "hooks.example.com:8443"
    assert GUARD.check("https://hooks.example.com/").host_header == "hooks.example.com"
