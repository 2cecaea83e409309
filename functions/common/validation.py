"""Input rules for what Hookwire will later send or store: hook URLs, custom headers, text fields and event
data. Each check raises `InputRefused` (a ValueError, so pydantic validators turn it into a 422 naming the
field) with a sentence that says what is wrong; nothing that passes can fail later when the request is built.

The limits are documented in docs/limits.md ("## Input").
"""

from __future__ import annotations

import ipaddress
import math
import re
import unicodedata
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

# Headers Hookwire sets itself; a hook's custom headers may never replace them.
PROTECTED_HEADERS = frozenset(
    {"content-type", "content-length", "host", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature"}
)
PROTECTED_PREFIXES = ("webhook-",)
# Hop-by-hop and framing headers: they describe the connection or the message length, which the HTTP
# client owns; a custom value would corrupt the request or smuggle a second one.
FRAMING_HEADERS = frozenset(
    {"connection", "transfer-encoding", "content-length", "host", "te", "upgrade", "keep-alive", "trailer", "expect"}
)
FRAMING_PREFIXES = ("proxy-",)

MAX_CUSTOM_HEADERS = 20
MAX_HEADER_NAME_CHARS = 128
MAX_HEADER_VALUE_CHARS = 4096
MAX_URL_CHARS = 2048
MAX_DATA_DEPTH = 32

HEADER_NAME = re.compile(
    r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"
)  # RFC 9110 token, matched in full (fullmatch: no trailing newline)
HOST_LABELS = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$")  # after IDNA mapping: ASCII only


class InputRefused(ValueError):
    """str() is the sentence shown to the user."""


def _is_control_or_space(ch: str) -> bool:
    # Cc controls (C0, DEL, C1), Cf format characters (zero-width and bidi marks), surrogates, private
    # use and unassigned code points, and every kind of white space (Zs, Zl, Zp).
    return unicodedata.category(ch)[0] in "CZ"


def _describe(ch: str) -> str:
    return f"U+{ord(ch):04X} ({unicodedata.name(ch, 'a control character').lower()})"


# --- text fields ------------------------------------------------------------------------------
def plain_text(value: str, what: str = "text") -> str:
    """Names, descriptions and categories: any text without control characters (line breaks included)."""
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cs"):
            raise InputRefused(f"{what} contains {_describe(ch)}; control characters are not allowed")
    return value


# --- URLs -------------------------------------------------------------------------------------
def _ascii_host(host: str) -> str:
    """The host as it goes on the wire: IP literals unchanged, names IDNA-mapped to ASCII (punycode)."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        mapped = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InputRefused(f"url host {host} is not a valid host name ({exc})") from exc
    if not HOST_LABELS.match(mapped):
        raise InputRefused(f"url host {host} is not a valid host name (letters, digits, '-' and '_' per label)")
    return mapped.lower()


def _percent_encode_non_ascii(text: str) -> str:
    return "".join(ch if ch.isascii() else quote(ch, safe="") for ch in text)


def normalise_url(url: str) -> str:
    """The URL in the form that is stored and sent: host IDNA-mapped to ASCII, non-ASCII characters of the
    path and query percent-encoded (UTF-8). Refuses white space and control characters anywhere."""
    if len(url) > MAX_URL_CHARS:
        raise InputRefused(f"url is longer than {MAX_URL_CHARS} characters")
    for ch in url:
        if _is_control_or_space(ch):
            raise InputRefused(f"url contains {_describe(ch)}; white space and control characters are not allowed")
    if "\\" in url:
        raise InputRefused("url contains a backslash; write it as %5C")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InputRefused(f"url is not a valid URL: {exc}") from exc
    if not parts.hostname:
        return url  # nothing to map; the SSRF guard refuses it with the rule that applies (scheme, no host)
    host = _ascii_host(parts.hostname)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    if parts.username is not None or parts.password is not None:
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{_percent_encode_non_ascii(userinfo)}@{netloc}"  # kept so the SSRF guard can name the rule
    path = _percent_encode_non_ascii(parts.path)
    query = _percent_encode_non_ascii(parts.query)
    return urlunsplit((parts.scheme.lower(), netloc, path, query, _percent_encode_non_ascii(parts.fragment)))


# --- custom headers ---------------------------------------------------------------------------
def _check_header_name(name: str) -> None:
    if not name or len(name) > MAX_HEADER_NAME_CHARS or not HEADER_NAME.fullmatch(name):
        raise InputRefused(
            f"{name!r} is not a valid header name (1-{MAX_HEADER_NAME_CHARS} letters, digits and !#$%&'*+.^_`|~-)"
        )
    lowered = name.lower()
    if lowered in PROTECTED_HEADERS or lowered.startswith(PROTECTED_PREFIXES):
        raise InputRefused(f"{name!r} is set by Hookwire and can't be overridden")
    if lowered in FRAMING_HEADERS or lowered.startswith(FRAMING_PREFIXES):
        raise InputRefused(f"{name!r} is a connection or framing header, which the HTTP client sets itself")


def _check_header_value(name: str, value: str) -> None:
    if len(value) > MAX_HEADER_VALUE_CHARS:
        raise InputRefused(f"header {name!r} has a value longer than {MAX_HEADER_VALUE_CHARS} characters")
    for ch in value:
        if ch != "\t" and unicodedata.category(ch) == "Cc":
            raise InputRefused(
                f"header {name!r} has a value containing {_describe(ch)}; control characters are not allowed"
            )
        if ord(ch) > 0xFF:
            raise InputRefused(
                f"header {name!r} has a value containing {_describe(ch)}, which is outside Latin-1 (ISO-8859-1);"
                " percent-encode it"
            )


def check_headers(headers: dict[str, str]) -> dict[str, str]:
    """A hook's custom headers: valid names that neither Hookwire nor the HTTP client owns, each given once,
    and values that can be sent as they are (Latin-1, no control characters)."""
    if len(headers) > MAX_CUSTOM_HEADERS:
        raise InputRefused(f"at most {MAX_CUSTOM_HEADERS} custom headers")
    seen: set[str] = set()
    for name, value in headers.items():
        _check_header_name(name)
        if name.lower() in seen:
            raise InputRefused(f"{name!r} is given twice (header names are case-insensitive)")
        seen.add(name.lower())
        _check_header_value(name, value)
    return headers


# --- event data -------------------------------------------------------------------------------
def _path(parent: str, key: str | int) -> str:
    return f"{parent}[{key}]" if isinstance(key, int) else f"{parent}.{key}"


def json_value_problem(value: Any, root: str = "data", max_depth: int = MAX_DATA_DEPTH) -> tuple[str, str] | None:
    """(path, sentence) of the first thing in a parsed JSON value that is not JSON (NaN, Infinity) or nests
    deeper than `max_depth` objects and arrays, or None. Iterative, so any depth is safe to walk."""
    pending: list[tuple[Any, str, int]] = [(value, root, 0)]
    while pending:
        node, path, depth = pending.pop()
        if isinstance(node, float) and not math.isfinite(node):
            spelled = "NaN" if math.isnan(node) else ("Infinity" if node > 0 else "-Infinity")
            return path, f"{path} is {spelled}, which is not a JSON number (RFC 8259 has no NaN or Infinity)"
        if isinstance(node, dict | list):
            if depth >= max_depth:
                return root, f"{root} nests objects and arrays deeper than {max_depth} levels"
            children = node.items() if isinstance(node, dict) else enumerate(node)
            pending.extend((child, _path(path, key), depth + 1) for key, child in children)
    return None


def check_json_value(value: Any, root: str = "data") -> Any:
    problem = json_value_problem(value, root)
    if problem is not None:
        raise InputRefused(problem[1])
    return value
