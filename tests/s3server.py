"""A real S3-compatible server on 127.0.0.1 for the tests: moto in server mode, its buckets made with boto3."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "podbrief-test", "AWS_SECRET_ACCESS_KEY": "podbrief-test", "AWS_REGION": "us-east-1"}


@dataclass(frozen=True)
class S3Server:
    """A running S3-compatible server: its endpoint and the environment that reaches it."""

    endpoint: str

    @property
    def env(self) -> dict[str, str]:
        """The AWS_* variables that point LanceDB and boto3 at this server."""
        return {**CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint}

    def make_bucket(self) -> str:
        """Create a fresh bucket and return its name."""
        import boto3

        name = f"podbrief-{uuid.uuid4().hex[:12]}"
        client = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                              aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1")
        client.create_bucket(Bucket=name)
        return name


@contextmanager
def running_s3_server() -> Iterator[S3Server]:
    """Start moto's S3 server on a free port of 127.0.0.1 for the duration of the block."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    """An S3-compatible server shared by a test module."""
    with running_s3_server() as server:
        yield server


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The server, with this process's AWS_* variables pointing at it."""
    for name, value in s3_server.env.items():
        monkeypatch.setenv(name, value)
    return s3_server
