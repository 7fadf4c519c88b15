"""A second `make run` says where the dashboard already runs instead of moving to another port."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from tests.httpserver import LocalHTTPServer
from ui.already_running import CONFIG, check, configured_address

ROOT = Path(__file__).parent.parent


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


def test_a_running_dashboard_is_named_with_its_address(http_server: LocalHTTPServer) -> None:
    http_server.route("/_stcore/health", body="ok", content_type="text/plain")
    port = _port(http_server.base_url)
    assert check("127.0.0.1", port) == (
        f"The dashboard is already running at http://127.0.0.1:{port}/: open that address. To restart it, stop the "
        "running one first (Ctrl-C in its terminal)."
    )


def test_another_program_on_the_port_is_named_too(http_server: LocalHTTPServer) -> None:
    port = _port(http_server.base_url)  # answers 404 to the health check: not a dashboard
    assert check("127.0.0.1", port) == (
        f"Another program already listens on 127.0.0.1:{port}. Stop it, or give the dashboard another port "
        "(server.port in .streamlit/config.toml)."
    )


def test_a_free_port_lets_it_start() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert check("127.0.0.1", port) is None


def test_the_dashboard_binds_this_machine_on_a_fixed_port(tmp_path: Path) -> None:
    assert configured_address() == ("127.0.0.1", 8501), "config.toml binds 127.0.0.1 and fixes the port"
    config = tmp_path / "config.toml"
    config.write_text('[server]\naddress = "0.0.0.0"\nport = 9000\n')
    assert configured_address(config) == ("127.0.0.1", 9000)
    assert configured_address(tmp_path / "missing.toml") == ("127.0.0.1", 8501)
    assert CONFIG.exists()


def test_the_command_exits_1_with_the_message(http_server: LocalHTTPServer, tmp_path: Path) -> None:
    http_server.route("/_stcore/health", body="ok", content_type="text/plain")
    code = ("import sys, ui.already_running as a; a.configured_address = lambda: ('127.0.0.1', "
            f"{_port(http_server.base_url)}); sys.exit(a.main())")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert run.stderr.startswith("The dashboard is already running at http://127.0.0.1:")
