"""A small client for the Hookwire HTTP API (stdlib only), used by the demo, the tests and the CLI."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class ApiError(Exception):
    def __init__(self, response: ApiResponse) -> None:
        message = response.body.get("message") if isinstance(response.body, dict) else str(response.body)
        super().__init__(f"HTTP {response.status}: {message}")
        self.response = response


class ApiUnreachable(ConnectionError):
    """Nothing answered at the API URL (refused, DNS, timeout, TLS): the request was never answered."""

    def __init__(self, url: str, reason: object) -> None:
        super().__init__(f"can't reach the API at {url}: {reason}")
        self.url = url


class HookwireClient:
    def __init__(self, base_url: str, token: str | None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> ApiResponse:
        """Any answer, 4xx included; only transport failures raise."""
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None}, doseq=True)
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        sent = {"accept": "application/json"}
        if data is not None:
            sent["content-type"] = "application/json"
        if self.token:
            sent["authorization"] = f"Bearer {self.token}"
        sent.update(headers or {})
        request = urllib.request.Request(url, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return ApiResponse(response.status, _json(response.read()), dict(response.headers.items()))
        except urllib.error.HTTPError as error:
            return ApiResponse(error.code, _json(error.read()), dict(error.headers.items()))
        except urllib.error.URLError as error:
            raise ApiUnreachable(self.base_url, error.reason) from error
        except (TimeoutError, ConnectionError) as error:
            raise ApiUnreachable(self.base_url, error) from error

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        """The answer's body; raises ApiError on 4xx/5xx."""
        response = self.request(method, path, body, **kwargs)
        if not response.ok:
            raise ApiError(response)
        return response.body


def _json(payload: bytes) -> Any:
    if not payload:
        return None
    try:
        return json.loads(payload)
    except ValueError:
        return payload.decode(errors="replace")
