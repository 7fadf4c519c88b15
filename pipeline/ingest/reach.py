"""What a URL may reach: the rule that keeps feeds away from the server's files and private services.

DESIGN.md's security rules, decided here and enforced by `http.py` on every fetch and every redirect hop:

- A feed the operator adds (command line, OPML file) may be an http(s) URL to any address, or a local file.
- A feed added on the Feeds page may only be an http(s) URL to a public address.
- A URL found inside a feed (enclosure, transcript, image, new-feed-url) and every redirect hop must be
  http(s) to a public address, unless it shares its feed's origin (same scheme, host and port; for a local
  feed, a file inside the feed's root folder after resolving `..` and symlinks), in which case it may reach
  what the feed itself may reach. A feed fetched over http(s) therefore never reaches a local file.
- `PODBRIEF_ALLOW_PRIVATE_URLS=1` lets all of them reach private and loopback addresses (an intranet).
  Link-local (169.254.x.x, where cloud metadata services live), multicast and reserved addresses never.

Host names are resolved once, here; `http.py` connects to exactly the addresses that were checked, so a
name cannot resolve to a public address for the check and a private one for the connection.
"""

from __future__ import annotations

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx

from ..config import Settings, get_settings
from ..errors import DownloadError, RefusedURLError

ROOT_MARKER = ".podbrief-root"  # a folder holding this file is the root of the local feeds below it
WEB_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv6 addresses that carry an IPv4 address in their last 32 bits
ALLOW_PRIVATE = "PODBRIEF_ALLOW_PRIVATE_URLS=1"
OPERATOR_VIA = {None, "cli", "opml"}  # who added a feed (feeds.added_via); None: added before this was recorded
VIA_WORDS = {"cli": "the command line", "opml": "an OPML file", "page": "the Feeds page", "moved": "the feed's own move"}

_DNS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="podbrief-dns")  # getaddrinfo has no timeout of its own


@dataclass(frozen=True)
class Access:
    """What one URL may reach, decided by who handed it over."""

    files: bool  # it may be a local file (only a feed the operator added)
    private: bool  # it may reach private and loopback addresses
    feed: str | None = None  # the feed it was found in (or redirected from): that origin gets `feed_access`
    feed_access: Access | None = None
    links_private: bool = False  # what links and redirects met on the way may reach: PODBRIEF_ALLOW_PRIVATE_URLS


@dataclass(frozen=True)
class Target:
    """A URL that passed the rule: a resolved local file, or a host with the addresses to connect to."""

    url: str
    path: Path | None = None
    host: str = ""  # as the HTTP client sends it (IDNA-encoded, no brackets)
    addresses: tuple[str, ...] = ()


def operator_access(settings: Settings | None = None) -> Access:
    """Access of a feed the operator added: any http(s) address or a local file."""
    return Access(files=True, private=True, links_private=_allow_private(settings))


def editor_access(settings: Settings | None = None) -> Access:
    """Access of a feed added on the Feeds page: http(s) to public addresses (private ones when allowed)."""
    allowed = _allow_private(settings)
    return Access(files=False, private=allowed, links_private=allowed)


def feed_access(added_via: str | None, settings: Settings | None = None) -> Access:
    """Access for fetching a stored feed, from who added it (feeds.added_via)."""
    return operator_access(settings) if added_via in OPERATOR_VIA else editor_access(settings)


def inside(feed_url: str, access: Access) -> Access:
    """Access of a URL found inside the feed at feed_url (or a redirect hop of fetching it)."""
    return Access(files=False, private=access.links_private, feed=feed_url, feed_access=access,
                  links_private=access.links_private)


def for_hops(url: str, access: Access) -> Access:
    """Access of the redirect hops met while fetching url: always judged against the feed they came from."""
    return access if access.feed is not None else inside(url, access)


def same_origin(url: str, other: str) -> bool:
    """True when both are http(s) URLs with the same scheme, host and port."""
    a, b = _origin(url), _origin(other)
    return a is not None and a == b


def check(url: str, access: Access, *, timeout: float) -> Target:
    """The URL as a Target to fetch, or RefusedURLError naming the rule it breaks; resolves host names once."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError as exc:
        raise RefusedURLError(f"Refused {url!r}: it is not a valid address ({exc}).") from exc
    if scheme in WEB_SCHEMES:
        return _check_web(url, access, timeout)
    if scheme == "file" or len(scheme) <= 1:  # "" for a bare path, one letter for a Windows drive
        return Target(url, path=_check_file(url, access))
    raise RefusedURLError(f"Refused {url}: only http(s) addresses are fetched, not {scheme}: URLs. {_fix(access)}".rstrip())


def check_move(new_url: str, feed_url: str, access: Access) -> str | None:
    """Why a feed at feed_url may not move to new_url (its itunes:new-feed-url), or None when it may.

    Only the form is checked here (no DNS): the next poll checks the address, as `moved_via` says who added it.
    """
    moved = inside(feed_url, access)
    try:
        scheme = urlsplit(new_url).scheme.lower()
        if scheme in WEB_SCHEMES:
            if not urlsplit(new_url).hostname:
                return f"{new_url} has no host"
            return None
        if scheme == "file" or len(scheme) <= 1:
            _check_file(new_url, moved)
            return None
    except RefusedURLError as exc:
        return str(exc)
    except ValueError as exc:
        return f"it is not a valid address ({exc})"
    return f"only http(s) addresses are fetched, not {scheme}: URLs"


def moved_via(new_url: str, feed_url: str, added_via: str | None) -> str | None:
    """Who the feed counts as added by once it moved: unchanged on its own origin or root, else 'moved' (public only)."""
    if same_origin(new_url, feed_url):
        return added_via
    new_path, old_path = local_path(new_url), local_path(feed_url)
    if new_path is not None and old_path is not None:
        return added_via  # check_move kept it inside the old feed's root
    return "moved"


def local_path(url: str) -> Path | None:
    """The filesystem path of a file:// URL or a bare path; None for anything with another scheme."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return Path(url2pathname(unquote(parts.path)))
    if scheme == "" or len(scheme) == 1:
        try:
            return Path(url).expanduser()
        except RuntimeError:  # "~someone/..." for a user this machine does not know: not a home folder, then
            return Path(url)
    return None


def feed_root(feed_path: Path) -> Path:
    """The folder a local feed's files must stay in: the nearest folder holding ROOT_MARKER, else the feed's own."""
    folder = feed_path.resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / ROOT_MARKER).is_file():
            return candidate
    return folder


def address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, *, private_ok: bool) -> str | None:
    """Why a connection to ip is refused, or None: link-local, multicast and reserved never; private unless allowed."""
    if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:127.0.0.1 is 127.0.0.1
        ip = ip.ipv4_mapped
    elif ip in NAT64:
        ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.is_link_local:
        return f"{ip} is a link-local address (where cloud metadata services answer); those are never fetched"
    if ip.is_loopback:  # before "reserved": ::1 lies in a reserved IPv6 block
        return None if private_ok else f"{ip} is a loopback address (this machine)"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return f"{ip} is not the address of a server"
    if ip.is_global or private_ok:
        return None
    return f"{ip} is a private address"


def _check_web(url: str, access: Access, timeout: float) -> Target:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise RefusedURLError(f"Refused {url!r}: it is not a valid web address ({exc}). {_fix(access)}".rstrip()) from exc
    host = parsed.raw_host.decode("ascii")
    if not host:
        raise RefusedURLError(f"Refused {url}: it has no host. {_fix(access)}".rstrip())
    shared = access.feed is not None and access.feed_access is not None and same_origin(url, access.feed)
    private_ok = access.private or (shared and access.feed_access is not None and access.feed_access.private)
    addresses = _resolve(host, parsed.port or DEFAULT_PORTS[parsed.scheme], timeout)
    for ip in addresses:
        problem = address_problem(ip, private_ok=private_ok)
        if problem:
            raise RefusedURLError(f"Refused {url}: {problem}. {_private_rule(access)}")
    return Target(url, host=host, addresses=tuple(str(ip) for ip in addresses))


def _check_file(url: str, access: Access) -> Path:
    path = local_path(url)
    assert path is not None
    if access.feed is None:
        if access.files:
            return path.resolve()
        raise RefusedURLError(
            f"Refused {url}: only web addresses (http:// or https://) can be added here, not files on the server."
        )
    feed_path = local_path(access.feed)
    if feed_path is None or access.feed_access is None or not access.feed_access.files:
        raise RefusedURLError(f"Refused {url}: a feed fetched from the web may never point at a file on this machine.")
    root = feed_root(feed_path)
    real = path.resolve()
    if not real.is_relative_to(root):
        raise RefusedURLError(
            f"Refused {url}: it is outside the folder of the feed that names it ({root}). A local feed may only point "
            f"at files in its own folder; move the file there, or put an empty {ROOT_MARKER} file in a folder above "
            "both to make that folder the feed's root."
        )
    return real


def _allow_private(settings: Settings | None) -> bool:
    return (settings or get_settings()).podbrief_allow_private_urls


def _resolve(host: str, port: int, timeout: float) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses of host, once; an IP literal is its own address."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    future = _DNS.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=max(timeout, 0.1))
    except FutureTimeout as exc:
        raise DownloadError(f"Looking up the server {host} took over {timeout:g} s. Try again later.") from exc
    except (socket.gaierror, UnicodeError) as exc:
        raise DownloadError(f"Could not find the server {host} ({exc}). Check the URL.") from exc
    found: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])  # drop an IPv6 zone id
        if ip not in found:
            found.append(ip)
    return found


def _origin(url: str) -> tuple[str, str, int] | None:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in WEB_SCHEMES or not parts.hostname:
        return None
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return scheme, parts.hostname.lower().rstrip("."), port


def _private_rule(access: Access) -> str:
    if access.feed is None and not access.files:
        return f"Feeds added on the Feeds page must be on the public internet; to allow private ones, set {ALLOW_PRIVATE}."
    return (
        "Links inside a feed, and redirects, may only lead to public addresses unless they stay on the feed's own "
        f"server; for an intranet, set {ALLOW_PRIVATE}."
    )


def _fix(access: Access) -> str:
    if access.feed is not None:
        return ""
    return "Use an http(s) URL, a file:// URL or a local path." if access.files else "Use an http(s) URL."
