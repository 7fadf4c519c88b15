"""All configuration in one place: environment variables, then `.streamlit/secrets.toml`, then defaults.

Each setting is read from the environment variable named in `Settings` (upper case), else from
the same key in lower case in `.streamlit/secrets.toml`, else its default.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"


@dataclass(frozen=True)
class Settings:
    """Every knob Podbrief reads; see the README's Configuration table."""

    podbrief_db: str = str(ROOT / "data" / "lancedb")  # a folder, or an object store URI such as s3://bucket/prefix
    aws_endpoint_url: str = ""  # an S3-compatible store (MinIO, R2, Ceph); empty: AWS itself
    podbrief_cache_dir: str = str(ROOT / "data" / "cache")  # local to each machine: the LLM reply cache
    podbrief_lease_s: float = 60.0  # an object store's ingestion lease lasts this long unless renewed
    podbrief_whisper_model: str = ""  # empty: the bundled tiny.en model
    podbrief_whisper_beam: int = 5
    podbrief_asr_threads: int = 0  # 0: all cores
    podbrief_asr_device: str = "cpu"  # cpu, cuda or auto; ingest --ray gives ASR tasks a GPU (cuda) where the cluster has one
    podbrief_vad: bool = True
    podbrief_asr_hotwords: bool = False  # prompt Whisper with the feed's titles and names (see README: Measured)
    podbrief_max_audio_mb: int = 300
    podbrief_keep_audio: bool = False
    podbrief_audio_dir: str = str(ROOT / "data" / "audio")
    podbrief_http_timeout: float = 30.0  # seconds to connect, and between two reads
    podbrief_fetch_deadline_s: float = 60.0  # a whole feed or transcript fetch, however slowly it drips
    podbrief_audio_s_per_gb: float = 600.0  # an enclosure download may take this long per GB (never under the above)
    podbrief_max_feed_mb: int = 20
    podbrief_max_transcript_mb: int = 20
    podbrief_allow_private_urls: bool = False  # let feeds reach private and loopback addresses (an intranet)
    podbrief_max_attempts: int = 4
    podbrief_retry_base_s: float = 600.0  # backoff doubles per failed attempt
    podbrief_max_new: int = 10
    openai_api_key: str = ""
    openai_base_url: str = ""
    podbrief_llm_model: str = "gpt-4o-mini"
    podbrief_llm_timeout: float = 120.0  # seconds per LLM request
    podbrief_llm_retries: int = 4  # retries of one LLM request on 429/5xx/timeouts
    podbrief_llm_backoff_s: float = 1.0  # first wait between LLM retries; doubles per retry
    podbrief_embed_model: str = ""  # empty: the bundled MiniLM; else an OpenAI-compatible model name
    podbrief_insights_per_min: float = 0.5  # one per two minutes, within the bounds below
    podbrief_insights_min: int = 10  # a short episode is dense (a news show): ten, when ten clear the quality floor
    podbrief_insights_max: int = 15
    editor_password: str = ""
    # Delivery. The SMTP URL and the list's channel URLs carry passwords and tokens: never shown (repr=False).
    podbrief_smtp_url: str = field(default="", repr=False)  # empty: write .eml files to podbrief_outbox_dir
    podbrief_smtp_ca_file: str = ""  # a CA bundle to trust for the SMTP server's certificate (a private CA)
    podbrief_smtp_timeout: float = 30.0
    podbrief_mail_from: str = "Podbrief <brief@localhost>"
    podbrief_public_url: str = "http://localhost:8501"  # where links in emails and feeds point
    podbrief_outbox_dir: str = str(ROOT / "data" / "outbox")
    podbrief_list_channels: str = field(default="", repr=False)  # Apprise URLs that get the published brief
    podbrief_send_retry_base_s: float = 300.0  # a failed message is retried after this, doubling per attempt
    podbrief_send_max_attempts: int = 6  # temporary failures of one message before it is given up

    @property
    def llm_configured(self) -> bool:
        """True when an OpenAI-compatible endpoint or key is configured."""
        return bool(self.openai_api_key or self.openai_base_url)

    def insights_wanted(self, duration_s: float) -> int:
        """How many insights an episode of this length should yield: so many per minute, within the bounds."""
        count = round(duration_s / 60 * self.podbrief_insights_per_min)
        return min(self.podbrief_insights_max, max(self.podbrief_insights_min, count))


def _secrets() -> dict[str, object]:
    if not SECRETS_FILE.exists():
        return {}
    with SECRETS_FILE.open("rb") as fh:
        return tomllib.load(fh)


def _coerce(raw: object, default: object) -> object:
    if isinstance(default, bool):
        return str(raw).strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)  # type: ignore[arg-type]
    if isinstance(default, float):
        return float(raw)  # type: ignore[arg-type]
    return str(raw)


def get_settings(**overrides: object) -> Settings:
    """Read the settings now (environment first, then secrets.toml); keyword overrides win."""
    secrets = _secrets()
    values: dict[str, object] = {}
    for f in fields(Settings):
        default = f.default
        if f.name in overrides and overrides[f.name] is not None:
            values[f.name] = overrides[f.name]
            continue
        raw = os.environ.get(f.name.upper(), secrets.get(f.name))
        if raw is None or raw == "":
            continue
        try:
            values[f.name] = _coerce(raw, default)
        except ValueError as exc:
            from .errors import PodbriefError

            raise PodbriefError(
                f"{f.name.upper()}={raw!r} is not a valid {type(default).__name__}. "
                "Fix it in the environment or .streamlit/secrets.toml."
            ) from exc
    return Settings(**values)
