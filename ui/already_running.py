"""`python -m ui.already_running`: before `make run` starts the dashboard, say where one is already running.

Exits 0 when the configured address and port (.streamlit/config.toml) are free; otherwise prints what holds
them and exits 1, so a second `make run` does not quietly start another dashboard on another port.
"""

from __future__ import annotations

import socket
import sys
import tomllib
import urllib.request
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"
DEFAULT_ADDRESS, DEFAULT_PORT = "127.0.0.1", 8501
PROBE_S = 2.0


def configured_address(config: Path = CONFIG) -> tuple[str, int]:
    """The address and port the dashboard listens on, from the Streamlit config."""
    server = tomllib.loads(config.read_text()).get("server", {}) if config.exists() else {}
    address = str(server.get("address") or DEFAULT_ADDRESS)
    return ("127.0.0.1" if address in ("0.0.0.0", "::") else address), int(server.get("port") or DEFAULT_PORT)


def check(address: str, port: int) -> str | None:
    """Why the dashboard cannot start on address:port (something already listens there), or None when it can."""
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as sock:
        sock.settimeout(PROBE_S)
        if sock.connect_ex((address, port)) != 0:
            return None
    url = f"http://{address}:{port}/"
    try:
        with urllib.request.urlopen(url + "_stcore/health", timeout=PROBE_S) as reply:
            ours = reply.read().strip() == b"ok"
    except OSError:
        ours = False
    if ours:
        return (f"The dashboard is already running at {url}: open that address. To restart it, stop the running one "
                "first (Ctrl-C in its terminal).")
    return (f"Another program already listens on {address}:{port}. Stop it, or give the dashboard another port "
            "(server.port in .streamlit/config.toml).")


def main() -> int:
    """Print why the dashboard cannot start and return 1, or return 0."""
    problem = check(*configured_address())
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
