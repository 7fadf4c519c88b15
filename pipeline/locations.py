"""Where a store lives: a local folder or an object store URI, what LanceDB needs to reach it, and what to say
when it cannot be opened."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .config import Settings

URI = re.compile(r"^[a-z][a-z0-9+.-]+://", re.IGNORECASE)  # two letters at least: C:\ is a Windows path


def is_object_store(uri: str) -> bool:
    """True for an object store URI such as s3://bucket/prefix, False for a local folder."""
    return bool(URI.match(uri))


def storage_options(uri: str, settings: Settings) -> dict[str, str]:
    """LanceDB's storage options for a store: the S3-compatible endpoint, if any (credentials come from the AWS chain)."""
    endpoint = settings.aws_endpoint_url
    if not endpoint or not uri.lower().startswith("s3"):
        return {}
    options = {"aws_endpoint": endpoint}
    if endpoint.lower().startswith("http://"):  # an in-cluster or local store without TLS; refused unless allowed
        options["allow_http"] = "true"
    return options


def open_error(uri: str, exc: Exception) -> str:
    """What to tell someone whose store would not open."""
    if not is_object_store(uri):
        return f"Cannot open the store at {uri}: {exc}. Check the path and its permissions."
    if "NoSuchBucket" in str(exc):
        bucket = urlsplit(uri).netloc
        return (f"The bucket {bucket!r} of the store {uri} does not exist, and LanceDB does not create buckets. Create it "
                f"(e.g. `aws s3 mb s3://{bucket}`, or in your store's console) or point PODBRIEF_DB at an existing one.")
    return (f"Cannot open the store at {uri}: {str(exc)[:400]}. Check PODBRIEF_DB, the AWS_* credentials and, for an "
            "S3-compatible store, AWS_ENDPOINT_URL.")
