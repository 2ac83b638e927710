"""Outbound HTTP for robots, the SMS gateway and webhooks, guarded against server-side
request forgery.

A target must be http(s) and every address its host resolves to must be public: private,
loopback, link-local (169.254.169.254, the cloud metadata service), multicast, reserved and
unspecified ranges are refused unless ``WEBHOOK_ALLOWED_HOSTS`` names the host or a network
containing the address (the tests name 127.0.0.1). The check runs when a target is saved
AND when a message is sent; the request then connects to the very address that was checked
(the Host header and TLS server name stay the name), so a DNS answer that changes between
the check and the connection (DNS rebinding) cannot reach an internal address.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class ChannelError(Exception):
    """A peer refused or could not be reached: the delivery is retried later."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _allowed() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names: set[str] = set()
    networks = []
    for entry in getattr(settings, "WEBHOOK_ALLOWED_HOSTS", ()):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower())
    return names, networks


def _public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return _public(address.ipv4_mapped)
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def _split(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("scheme")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme, parts.hostname, port


def target_address(url: str) -> IPAddress:
    """The address to connect to for ``url``, or ValueError with the reason in words."""
    try:
        _scheme, host, port = _split(url)
    except ValueError:
        raise ValueError(_("Only http:// and https:// addresses can be used.")) from None
    try:
        addresses = _resolve(host, port)
    except OSError:
        raise ValueError(_("The host name %(host)s cannot be resolved.") % {"host": host}) from None
    names, networks = _allowed()
    if host.lower() in names:
        return addresses[0]
    for address in addresses:
        if not _public(address) and not any(address in net for net in networks):
            raise ValueError(
                _(
                    "%(host)s is an internal address (%(address)s); it can only be used if "
                    "the administrator allows it."
                )
                % {"host": host, "address": address}
            )
    return addresses[0]


def target_url_check(url: str, *, field: str) -> None:
    """A model's ``clean``: a ValidationError on ``field`` for a target we must not call."""
    try:
        target_address(url)
    except ValueError as exc:
        raise ValidationError({field: str(exc)}) from None


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def request(
    method: str, url: str, *, body: bytes = b"", headers: dict[str, str] | None = None
) -> Response:
    """Send one request to a checked address; ChannelError when refused or unreachable."""
    try:
        address = target_address(url)
    except ValueError as exc:
        raise ChannelError(str(exc)) from None
    scheme, host, port = _split(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = float(getattr(settings, "CHANNEL_HTTP_TIMEOUT", 10))
    cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    conn = cls(host, port, address=str(address), timeout=timeout)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        answer = conn.getresponse()
        response = Response(status=answer.status, body=answer.read(65536))
    except OSError as exc:
        raise ChannelError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        conn.close()
    if response.status >= 300:
        raise ChannelError(
            f"HTTP {response.status}: {response.body[:500]!r}", status=response.status
        )
    return response
