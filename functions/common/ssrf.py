"""The SSRF guard: which destinations a webhook may reach.

A URL is checked when it is registered (and on every change) and again at connect time: the host is
resolved once, every resolved address must be a public one (or inside the operator's allowlist), and the
connection goes to the address that was checked, so a DNS answer that changes in between (rebinding)
can't redirect the request. Every refusal names the rule that refused it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from functions.common.validation import InputRefused, normalise_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class UrlRefused(ValueError):
    """`rule` is the short name of the rule; str() is the sentence shown to the user."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in an IPv6 form: mapped, compatible, NAT64, 6to4 or Teredo."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64 or (address in IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


@lru_cache(maxsize=4096)  # pure; the ipaddress properties it asks are slow
def forbidden_reason(address: IPAddress) -> str | None:
    """Why Hookwire must not connect to this address, as a noun phrase ("a loopback address"), or None when
    it is a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = forbidden_reason(embedded)
            return f"an IPv6 form of {inner}" if inner else None
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if isinstance(address, ipaddress.IPv4Address) and address in CGNAT:
        return "a carrier-grade NAT address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "a site-local address (fec0::/10, deprecated but still routed inside some networks)"
    if address.is_private and not address.is_reserved:
        return "a private address"
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


def default_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Destination:
    """A checked URL: connect to `address`, send `Host: host`, verify TLS for `host`."""

    scheme: str
    host: str
    port: int
    target: str  # path and query
    address: str

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated CIDRs (the operator allowlist); a bad entry is an error, not silently ignored."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


# Every attempt checks its URL again; a hook's URL is the same string each time, so its parse (IDNA mapping,
# a scan for control characters) is kept. Addresses are resolved and checked on every attempt.
@lru_cache(maxsize=4096)
def _checked_syntax(url: str, allow_http: bool) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(normalise_url(url))
    except InputRefused as exc:
        raise UrlRefused("syntax", str(exc)) from exc
    port = parts.port
    if parts.scheme not in ("http", "https"):
        raise UrlRefused("scheme", "url must use https (or http where allowed)")
    if parts.scheme == "http" and not allow_http:
        raise UrlRefused("https-only", "url must use https: plain http is not allowed on this deployment")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("credentials", "url must not contain credentials; use custom headers instead")
    if not parts.hostname:
        raise UrlRefused("syntax", "url has no host")
    if port == 0:
        raise UrlRefused("syntax", "url has an invalid port")
    if parts.fragment:
        raise UrlRefused("syntax", "url must not contain a #fragment")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), target


@dataclass(frozen=True)
class UrlGuard:
    allow_http: bool = False
    allowed_networks: tuple[Network, ...] = ()
    resolver: Resolver | None = None  # None: the system resolver, looked up at call time

    @classmethod
    def from_settings(cls, allow_http: bool, allowed_cidrs: str, resolver: Resolver | None = None) -> UrlGuard:
        return cls(allow_http=allow_http, allowed_networks=parse_networks(allowed_cidrs), resolver=resolver)

    def _allowlisted(self, address: IPAddress) -> bool:
        return any(address in network for network in self.allowed_networks)

    def check_syntax(self, url: str) -> tuple[str, str, int, str]:
        """Scheme, ASCII host, port and target of the URL in the form it is sent (see `normalise_url`)."""
        return _checked_syntax(url, self.allow_http)

    def _resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            pass
        try:
            answers = (self.resolver or default_resolver)(host, port)
        except (OSError, UnicodeError) as exc:
            raise UrlRefused("dns", f"url host {host} does not resolve") from exc
        addresses = [ipaddress.ip_address(answer.split("%")[0]) for answer in answers]
        if not addresses:
            raise UrlRefused("dns", f"url host {host} does not resolve")
        return addresses

    def check_addresses(self, host: str, addresses: Iterable[IPAddress]) -> None:
        for address in addresses:
            if self._allowlisted(address):
                continue
            reason = forbidden_reason(address)
            if reason:
                message = f"url host {host} resolves to {address}, {reason}, which webhooks may not reach"
                raise UrlRefused("address", message)

    def check(self, url: str) -> Destination:
        """Resolve once and check everything; the Destination pins the address that was checked."""
        scheme, host, port, target = self.check_syntax(url)
        addresses = self._resolve(host, port)
        self.check_addresses(host, addresses)
        return Destination(scheme=scheme, host=host, port=port, target=target, address=str(addresses[0]))
