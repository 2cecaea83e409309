"""SSRF guard edges the mutation run showed untested. Every refusal is checked by its rule AND its exact
message, which names the address and the kind of address that refused it."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from functions.common import ssrf
from functions.common.ssrf import Destination, UrlGuard, UrlRefused, default_resolver, forbidden_reason, parse_networks

DNS = {
    "hooks.example.com": ["93.184.216.34"],
    "mixed.example.com": ["10.1.2.3", "169.254.169.254"],  # allowlisted first, then the metadata address
    "empty.example.com": [],
    "scoped.example.com": ["fe80::1%eth0"],
    "scoped-public.example.com": ["2606:4700::1111%eth0"],
    "mapped-public.example.com": ["::ffff:8.8.8.8"],
}


def resolver(host: str, _port: int) -> list[str]:
    if host == "badname.example.com":
        raise UnicodeError("label too long")
    if host not in DNS:
        raise OSError("NXDOMAIN")
    return DNS[host]


GUARD = UrlGuard(resolver=resolver)
NO_CREDENTIALS = "url must not contain credentials; use custom headers instead"


def refusal(guard: UrlGuard, url: str) -> tuple[str, str]:
    with pytest.raises(UrlRefused) as refused:
        guard.check(url)
    return refused.value.rule, str(refused.value)


def address_refusal(host: str, address: str, kind: str) -> tuple[str, str]:
    return "address", f"url host {host} resolves to {address}, {kind}, which webhooks may not reach"


def test_an_allowlisted_answer_does_not_excuse_a_metadata_answer_after_it() -> None:
    # Given an allowlist holding 10.1.0.0/16 and a host resolving to 10.1.2.3 and then the metadata address
    guard = UrlGuard.from_settings(allow_http=False, allowed_cidrs="10.1.0.0/16", resolver=resolver)
    # When its URL is checked
    # Then it is refused for the metadata answer, not accepted for the allowlisted one
    assert refusal(guard, "https://mixed.example.com/") == address_refusal(
        "mixed.example.com", "169.254.169.254", "a cloud metadata address"
    )


def test_an_empty_resolver_answer_is_a_host_that_does_not_resolve() -> None:
    # Given a resolver that answers with no address
    # When the URL is checked
    # Then it is refused by the dns rule, naming the host
    assert refusal(GUARD, "https://empty.example.com/") == ("dns", "url host empty.example.com does not resolve")


@pytest.mark.parametrize("host", ["nx.example.com", "badname.example.com"])
def test_a_resolver_error_is_a_host_that_does_not_resolve(host: str) -> None:
    # Given a resolver that fails with an OS error (NXDOMAIN) or a Unicode error (a bad IDNA label)
    # When the URL is checked
    # Then it is refused by the dns rule, naming the host
    assert refusal(GUARD, f"https://{host}/") == ("dns", f"url host {host} does not resolve")


def test_a_scoped_ipv6_answer_is_judged_by_its_address() -> None:
    # Given a resolver answering with a link-local address carrying a zone (fe80::1%eth0)
    # When the URL is checked
    # Then it is refused as link-local, naming the address without its zone
    assert refusal(GUARD, "https://scoped.example.com/") == address_refusal(
        "scoped.example.com", "fe80::1", "a link-local address"
    )


def test_a_scoped_public_answer_is_pinned_without_its_zone() -> None:
    # Given a resolver answering with a public IPv6 address carrying a zone
    # When the URL is checked
    destination = GUARD.check("https://scoped-public.example.com/")
    # Then it is allowed and the pinned address is the bare address
    assert destination.address == "2606:4700::1111"


def test_an_ipv4_mapped_public_address_is_allowed() -> None:
    # Given a host resolving to ::ffff:8.8.8.8 and a URL naming that address directly
    # When both are checked
    # Then both are allowed, pinned to the mapped address
    assert GUARD.check("https://mapped-public.example.com/").address == "::ffff:8.8.8.8"
    assert GUARD.check("https://[::ffff:8.8.8.8]/").address == "::ffff:8.8.8.8"


def test_port_zero_is_refused_as_an_invalid_port() -> None:
    # Given a URL on port 0
    # When it is checked
    # Then the syntax rule refuses it, saying why
    assert refusal(GUARD, "https://hooks.example.com:0/") == ("syntax", "url has an invalid port")


@pytest.mark.parametrize(
    ("url", "rule", "message"),
    [
        ("http://hooks.example.com/", "https-only", "url must use https: plain http is not allowed on this deployment"),
        ("ftp://hooks.example.com/", "scheme", "url must use https (or http where allowed)"),
        (
            "https://u:p@hooks.example.com/",
            "credentials",
            "url must not contain credentials; use custom headers instead",
        ),
        ("https://u@hooks.example.com/", "credentials", "url must not contain credentials; use custom headers instead"),
        ("https:///nohost", "syntax", "url has no host"),
        ("https://hooks.example.com/#frag", "syntax", "url must not contain a #fragment"),
        ("https://hooks.example.com:99999/", "syntax", "url is not a valid URL: Port out of range 0-65535"),
    ],
)
def test_url_refusals_name_the_rule_and_say_why(url: str, rule: str, message: str) -> None:
    # Given a URL that breaks one syntax rule
    # When it is checked
    # Then the refusal names that rule and its message says what is wrong
    assert refusal(GUARD, url) == (rule, message)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("0.0.0.0", "an unspecified address"),
        ("::", "an unspecified address"),
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("169.254.1.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("100.64.0.1", "a carrier-grade NAT address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("fec0::1", "a site-local address (fec0::/10, deprecated but still routed inside some networks)"),
        ("10.0.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fc00::1", "a private address"),
        ("240.0.0.1", "a reserved address"),
        ("4000::1", "a reserved address"),  # reserved by the IETF, though Python calls it global
        ("64:ff9b:1::a00:1", "a reserved address"),  # local-use NAT64 (RFC 8215) is not unwrapped
        # IPv6 forms of IPv4 addresses are judged by the IPv4 address inside
        ("::ffff:127.0.0.1", "an IPv6 form of a loopback address"),
        ("::ffff:0:0", "an IPv6 form of an unspecified address"),
        ("::2", "an IPv6 form of a private address"),  # IPv4-compatible 0.0.0.2
        ("::127.0.0.1", "an IPv6 form of a loopback address"),
        ("64:ff9b::a00:1", "an IPv6 form of a private address"),  # NAT64 of 10.0.0.1
        ("64:ff9b::a9fe:a9fe", "an IPv6 form of a cloud metadata address"),  # NAT64 of 169.254.169.254
        ("2002:a00:1::1", "an IPv6 form of a private address"),  # 6to4 of 10.0.0.1
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "an IPv6 form of a private address"),  # Teredo, client 10.0.0.1
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "an IPv6 form of a loopback address"),  # Teredo, client 127.0.0.1
    ],
)
def test_each_kind_of_forbidden_address_is_refused_naming_the_address_and_its_kind(address: str, kind: str) -> None:
    # Given a URL naming a forbidden address directly
    host = f"[{address}]" if ":" in address else address
    # When it is checked
    # Then it is refused by the address rule; the message names the address and what kind it is
    assert forbidden_reason(ipaddress.ip_address(address)) == kind
    assert refusal(GUARD, f"https://{host}/") == address_refusal(address, str(ipaddress.ip_address(address)), kind)


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:8.8.8.8",  # IPv4-mapped
        "::8.8.8.8",  # IPv4-compatible
        "64:ff9b::808:808",  # NAT64
        "2002:808:808::1",  # 6to4
        "2001:0:a00:1:8000:63bf:f7f7:f7f7",  # Teredo: client 8.8.8.8 (the server's 10.0.0.1 is not connected to)
    ],
)
def test_ipv6_forms_of_a_public_ipv4_address_are_public(address: str) -> None:
    # Given an IPv6 form wrapping the public 8.8.8.8
    # When it is judged
    # Then nothing forbids it
    assert forbidden_reason(ipaddress.ip_address(address)) is None


def test_the_allowlist_parses_comma_separated_cidrs_and_skips_blank_entries() -> None:
    # Given an allowlist with spaces, a blank entry and a network written from a host address
    # When it is parsed
    # Then each entry is one network, host bits cleared
    assert parse_networks(" 10.1.0.0/16 , ,192.168.1.7/24,fd00::/8") == (
        ipaddress.ip_network("10.1.0.0/16"),
        ipaddress.ip_network("192.168.1.0/24"),
        ipaddress.ip_network("fd00::/8"),
    )
    assert parse_networks("") == ()


def test_a_bad_allowlist_entry_is_an_error() -> None:
    # Given an allowlist entry that is not a network
    # When it is parsed
    # Then it is refused, not silently dropped
    with pytest.raises(ValueError, match="not-a-cidr"):
        parse_networks("10.0.0.0/8,not-a-cidr")


def test_from_settings_keeps_the_http_switch_and_the_resolver() -> None:
    # Given a guard built from settings that allow http, with no allowlist
    guard = UrlGuard.from_settings(allow_http=True, allowed_cidrs="", resolver=resolver)
    # When a plain-http URL on a name only the given resolver knows is checked
    destination = guard.check("http://hooks.example.com/a?b=c")
    # Then it is allowed on port 80, pinned to the resolver's answer
    assert destination == Destination(
        scheme="http", host="hooks.example.com", port=80, target="/a?b=c", address="93.184.216.34"
    )
    assert guard.allowed_networks == ()


@pytest.mark.parametrize(
    ("url", "host_header", "target"),
    [
        ("https://hooks.example.com", "hooks.example.com", "/"),
        ("https://hooks.example.com:443/x", "hooks.example.com", "/x"),
        ("https://hooks.example.com:80/x", "hooks.example.com:80", "/x"),
        ("http://hooks.example.com:80/x?", "hooks.example.com", "/x"),
        ("http://hooks.example.com:443/", "hooks.example.com:443", "/"),
        ("https://[2606:4700::1111]/", "[2606:4700::1111]", "/"),
        ("https://[2606:4700::1111]:8443/?q=1", "[2606:4700::1111]:8443", "/?q=1"),
    ],
)
def test_the_host_header_names_the_port_only_when_it_is_not_the_schemes_default(
    url: str, host_header: str, target: str
) -> None:
    # Given a guard that allows http
    guard = UrlGuard(allow_http=True, resolver=resolver)
    # When the URL is checked
    destination = guard.check(url)
    # Then the Host header carries the port only when it differs from the scheme's default, IPv6 in brackets
    assert destination.host_header == host_header
    assert destination.target == target


def test_the_system_resolver_asks_for_stream_sockets_and_drops_repeated_addresses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given getaddrinfo answering with the same address twice and a second one, as it does per protocol
    calls: list[tuple[str, int, int]] = []

    def getaddrinfo(host: str, port: int, type: int = 0) -> list[tuple]:  # noqa: A002 - socket's own name
        calls.append((host, port, type))
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2606:4700::1111", port, 0, 0)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
        ]

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", getaddrinfo)
    # When the default resolver looks a host up
    answers = default_resolver("hooks.example.com", 443)
    # Then it asked once for stream sockets and returns each address once, in the order given
    assert calls == [("hooks.example.com", 443, socket.SOCK_STREAM)]
    assert answers == ["93.184.216.34", "2606:4700::1111"]


def test_a_guard_without_a_resolver_uses_the_system_resolver_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a guard built without a resolver, and a system resolver that answers with a loopback address
    monkeypatch.setattr(ssrf, "default_resolver", lambda host, port: ["127.0.0.1"])
    # When a URL is checked
    # Then the system resolver's answer is what gets judged
    assert refusal(UrlGuard(), "https://anything.example.com/") == address_refusal(
        "anything.example.com", "127.0.0.1", "a loopback address"
    )
