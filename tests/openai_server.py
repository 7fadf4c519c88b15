"""A scriptable OpenAI-compatible HTTP server on 127.0.0.1, for tests that drive the real `openai` client.

Use the `openai_server` pytest fixture (function scope; a fresh server on an ephemeral port per test):

    def test_something(openai_server):
        settings = Settings(openai_base_url=openai_server.base_url, podbrief_llm_model="fake-llm")
        openai_server.script(rate_limited(retry_after=0.05), good())
        ...  # code under test calls the server through openai.OpenAI(base_url=settings.openai_base_url)
        assert len(openai_server.chat_requests()) == 2

`FakeOpenAI` also works as a context manager outside pytest (`with FakeOpenAI() as server: ...`).

Endpoints
- `GET  /v1/models`: lists `server.models`.
- `POST /v1/chat/completions`: answers with the next step of the chat script; when the script is empty, `good()`.
  `usage` counts words: prompt_tokens = words in all messages, completion_tokens = words in the reply content.
- `POST /v1/embeddings`: answers with the next step of the embeddings script; when it is empty (or the step is
  `good()`), deterministic vectors: a hashed bag of lower-cased words in `server.embed_dim` dimensions (default 32),
  L2-normalised, so texts sharing words are close. Honours `encoding_format` ("float", or "base64" float32, the
  client's default). `input` may be a string or a list of strings.
- Anything else: 404 with an OpenAI-style error body.

Script steps (module-level factories, queued with `server.script(...)` or `server.script_embeddings(...)`):
- `good()`: a valid reply. For chat, built from the prompt: the text between the first `<transcript>` and the first
  `</transcript>` of the last user message is read line by line (a leading `[...]` label is stripped), and up to
  `server.good_count` (default 3) evenly spaced lines of at least six words become insights
  `{"headline": <its first five words>, "text": <its first 14 words>, "quote": <that line, verbatim>, "score": ...}`
  in `{"insights": [...]}`.
- `invalid_json()`: HTTP 200 whose message content is not JSON.
- `rate_limited(retry_after=0.05)`: HTTP 429 with a `Retry-After` header (seconds, may be fractional).
- `server_error(status=500)`: that status with an error body.
- `slow(delay_s)`: waits delay_s seconds, then answers like `good()` (set the client timeout below delay_s).
- `bad_quotes()`: a well-formed reply whose quotes appear nowhere in the transcript.
- `reply(content)`: HTTP 200 with exactly this message content (a str, or an object serialised as JSON).
- `injection_probe()`: acts as a gullible model: if "ignore previous instructions" appears in a system message or in
  the user message outside the first transcript block, it obeys and replies "HIJACKED" (not JSON); else `good()`.

Every request is recorded in `server.requests` (`Recorded`: method, path, headers with lower-case names, parsed JSON
body or None); `chat_requests()` and `embedding_requests()` filter them. `transcript_block(body)` returns the text
inside the first transcript block of a recorded chat body, `outside_block(body)` everything else in its messages.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import struct
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

log = logging.getLogger(__name__)

OPEN_TAG = "<transcript>"
CLOSE_TAG = "</transcript>"
INJECTION_PHRASE = "ignore previous instructions"
LABEL_RE = re.compile(r"^\s*\[[^\]]*\]\s*")
WORD_RE = re.compile(r"\w+")
MIN_GOOD_WORDS = 6
POLL_S = 0.02  # how soon stop() is noticed


@dataclass(frozen=True)
class Step:
    """One scripted answer: what the server does with the next request on that endpoint."""

    kind: str  # good | status | slow | bad_quotes | content | injection_probe
    status: int = 200
    retry_after: float | None = None
    delay_s: float = 0.0
    content: str | None = None


def good() -> Step:
    """A valid reply (chat: insights built from the transcript in the prompt; embeddings: hashed vectors)."""
    return Step("good")


def invalid_json() -> Step:
    """HTTP 200 whose message content is not JSON."""
    return Step("content", content='{"insights": [ this is not JSON')


def rate_limited(retry_after: float = 0.05) -> Step:
    """HTTP 429 with a Retry-After header of that many seconds."""
    return Step("status", status=429, retry_after=retry_after)


def server_error(status: int = 500) -> Step:
    """An HTTP error status (500 by default) with an OpenAI-style error body."""
    return Step("status", status=status)


def slow(delay_s: float) -> Step:
    """Wait delay_s seconds, then answer like good()."""
    return Step("slow", delay_s=delay_s)


def bad_quotes() -> Step:
    """A well-formed chat reply whose quotes are not in the transcript."""
    return Step("bad_quotes")


def reply(content: str | dict[str, Any]) -> Step:
    """HTTP 200 with exactly this message content (objects are serialised as JSON)."""
    return Step("content", content=content if isinstance(content, str) else json.dumps(content))


def injection_probe() -> Step:
    """A gullible model: obeys 'ignore previous instructions' found outside the transcript block, else good()."""
    return Step("injection_probe")


@dataclass(frozen=True)
class Recorded:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


def transcript_block(body: dict[str, Any]) -> str:
    """The text inside the first transcript block of the last user message of a chat request body."""
    text = _last_user_text(body)
    start = text.find(OPEN_TAG)
    if start < 0:
        return ""
    end = text.find(CLOSE_TAG, start)
    return text[start + len(OPEN_TAG): end if end >= 0 else len(text)]


def outside_block(body: dict[str, Any]) -> str:
    """Every message's text of a chat request body, less the first transcript block of the last user message."""
    block = transcript_block(body)
    parts = [str(m.get("content") or "") for m in body.get("messages", [])]
    joined = "\n".join(parts)
    return joined.replace(block, "", 1) if block else joined


def _last_user_text(body: dict[str, Any]) -> str:
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    return str(users[-1].get("content") or "") if users else ""


def _words(text: str) -> int:
    return len(WORD_RE.findall(text))


def _hashed_vector(text: str, dim: int) -> list[float]:
    vec = [0.0] * dim
    for word in WORD_RE.findall(text.lower()):
        digest = hashlib.sha256(word.encode()).digest()
        vec[int.from_bytes(digest[:4], "little") % dim] += 1.0 if digest[4] & 1 else -1.0
    norm = sum(v * v for v in vec) ** 0.5
    if norm == 0.0:
        vec[0], norm = 1.0, 1.0
    return [v / norm for v in vec]


class FakeOpenAI:
    """An OpenAI-compatible server on 127.0.0.1 with scripted chat and embeddings answers."""

    def __init__(self, *, embed_dim: int = 32, good_count: int = 3, models: tuple[str, ...] = ("fake-llm",)) -> None:
        self.embed_dim = embed_dim
        self.good_count = good_count
        self.models = models
        self.requests: list[Recorded] = []
        self._chat_script: deque[Step] = deque()
        self._embed_script: deque[Step] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(POLL_S,), name="fake-openai", daemon=True)

    @property
    def base_url(self) -> str:
        """The URL to give as OPENAI_BASE_URL, ending in /v1."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAI:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, waking any slow step, and close the socket."""
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, *steps: Step) -> None:
        """Queue answers for the next chat completion requests, in order."""
        with self._lock:
            self._chat_script.extend(steps)

    def script_embeddings(self, *steps: Step) -> None:
        """Queue answers for the next embeddings requests, in order."""
        with self._lock:
            self._embed_script.extend(steps)

    def chat_requests(self) -> list[Recorded]:
        """The chat completion requests received so far."""
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def embedding_requests(self) -> list[Recorded]:
        """The embeddings requests received so far."""
        return [r for r in self.requests if r.path.endswith("/embeddings")]

    # -- answering (called from the handler threads) ------------------------------------------------------------

    def _record(self, recorded: Recorded) -> None:
        with self._lock:
            self.requests.append(recorded)

    def _next(self, script: deque[Step]) -> Step:
        with self._lock:
            return script.popleft() if script else good()

    def _answer(self, method: str, path: str, body: Any) -> tuple[int, dict[str, str], dict[str, Any]]:
        if method == "GET" and path == "/v1/models":
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "podbrief-tests"} for m in self.models]
            return 200, {}, {"object": "list", "data": data}
        if method == "POST" and path == "/v1/chat/completions":
            return self._answer_step(self._next(self._chat_script), body, self._chat_body)
        if method == "POST" and path == "/v1/embeddings":
            return self._answer_step(self._next(self._embed_script), body, self._embeddings_body)
        return 404, {}, _error(f"No route for {method} {path}", "not_found")

    def _answer_step(self, step: Step, body: Any, build: Any) -> tuple[int, dict[str, str], dict[str, Any]]:
        if step.kind == "status":
            headers = {"Retry-After": f"{step.retry_after:g}"} if step.retry_after is not None else {}
            kind = "rate_limit_exceeded" if step.status == 429 else "server_error"
            return step.status, headers, _error(f"Scripted HTTP {step.status}", kind)
        if step.kind == "slow":
            self._stopping.wait(step.delay_s)
        if not isinstance(body, dict):
            return 400, {}, _error("The request body is not a JSON object.", "invalid_request_error")
        return 200, {}, build(step, body)

    def _chat_body(self, step: Step, body: dict[str, Any]) -> dict[str, Any]:
        content = step.content if step.kind == "content" else self._chat_content(step, body)
        prompt_words = sum(_words(str(m.get("content") or "")) for m in body.get("messages", []))
        completion_words = _words(content or "")
        return {
            "id": f"chatcmpl-fake-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", ""),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_words, "completion_tokens": completion_words,
                      "total_tokens": prompt_words + completion_words},
        }

    def _chat_content(self, step: Step, body: dict[str, Any]) -> str:
        if step.kind == "injection_probe" and INJECTION_PHRASE in outside_block(body).lower():
            return "HIJACKED"
        lines = [LABEL_RE.sub("", line).strip() for line in transcript_block(body).splitlines()]
        lines = [line for line in lines if _words(line) >= MIN_GOOD_WORDS]
        chosen = lines[:: max(1, -(-len(lines) // self.good_count))][: self.good_count]
        insights = []
        for rank, line in enumerate(chosen):
            quote = line if step.kind != "bad_quotes" else f"Zebras quietly audit quantum lighthouses number {rank}."
            words = line.split()[:14]
            insights.append({"headline": " ".join(words[:5]).rstrip(".,;:"),
                             "text": f"{' '.join(words).rstrip('.,;:')}.", "quote": quote,
                             "score": round(0.9 - 0.1 * rank, 2)})
        return json.dumps({"insights": insights})

    def _embeddings_body(self, step: Step, body: dict[str, Any]) -> dict[str, Any]:
        raw = body.get("input", [])
        texts = [raw] if isinstance(raw, str) else [str(t) for t in raw]
        data = []
        for i, text in enumerate(texts):
            vec = _hashed_vector(text, self.embed_dim)
            if body.get("encoding_format") == "base64":
                encoded: Any = base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode()
            else:
                encoded = vec
            data.append({"object": "embedding", "index": i, "embedding": encoded})
        words = sum(_words(t) for t in texts)
        return {"object": "list", "data": data, "model": body.get("model", ""),
                "usage": {"prompt_tokens": words, "total_tokens": words}}


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


def _handler_for(server: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            path = self.path.split("?", 1)[0]
            server._record(Recorded(self.command, path, {k.lower(): v for k, v in self.headers.items()}, body))
            status, headers, payload = server._answer(self.command, path, body)
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                log.debug("The client left before the answer to %s %s (it timed out)", self.command, path)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("fake openai: " + format, *args)

    return Handler


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAI]:
    """A running FakeOpenAI on 127.0.0.1; stopped after the test."""
    with FakeOpenAI() as server:
        yield server


__all__ = [
    "FakeOpenAI", "Recorded", "Step", "bad_quotes", "good", "injection_probe", "invalid_json", "openai_server",
    "outside_block", "rate_limited", "reply", "server_error", "slow", "transcript_block",
]
