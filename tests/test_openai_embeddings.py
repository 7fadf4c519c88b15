"""pipeline.embed's OpenAI-compatible path through the real openai client against a server on 127.0.0.1."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.config import Settings
from pipeline.errors import EmbeddingError
from pipeline.insights.embed import OPENAI_BATCH_SIZE, embed, embedding_model
from tests.openai_server import good, server_error

TEXTS = [
    "Consistent release schedules help a podcast grow its audience.",
    "A steady release schedule grows the podcast audience.",
    "Go generics made the standard library's slices package possible.",
]


def _settings(server, model: str = "fake-embed") -> Settings:
    return Settings(openai_base_url=server.base_url, podbrief_embed_model=model)


def test_vectors_come_from_the_server_in_order(openai_server):
    vectors = embed(TEXTS, settings=_settings(openai_server))

    assert vectors.shape == (3, openai_server.embed_dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2]  # shared words, closer vectors: the order was kept
    (request,) = openai_server.embedding_requests()
    assert request.body["model"] == "fake-embed" and request.body["input"] == TEXTS
    assert request.body["encoding_format"] == "base64"  # the client's default, decoded by the client
    assert request.headers["authorization"].startswith("Bearer ")


def test_large_inputs_are_batched_without_reordering(openai_server):
    texts = [f"insight number {i} about topic {i % 7}" for i in range(OPENAI_BATCH_SIZE + 5)]

    vectors = embed(texts, settings=_settings(openai_server))

    sizes = [len(r.body["input"]) for r in openai_server.embedding_requests()]
    assert sizes == [OPENAI_BATCH_SIZE, 5]
    assert np.allclose(vectors[-1], embed(texts[-1:], settings=_settings(openai_server))[0], atol=1e-6)


def test_dimension_is_probed_from_the_server(openai_server):
    assert embedding_model(_settings(openai_server, "probe-embed")) == ("probe-embed", openai_server.embed_dim)
    assert embed([], settings=_settings(openai_server, "probe-embed")).shape == (0, openai_server.embed_dim)


def test_server_error_is_retried_by_the_client(openai_server):
    openai_server.script_embeddings(server_error(503), good())

    assert embed(TEXTS[:1], settings=_settings(openai_server)).shape == (1, openai_server.embed_dim)
    assert len(openai_server.embedding_requests()) == 2


def test_refused_request_raises_embedding_error(openai_server):
    openai_server.script_embeddings(server_error(400))

    with pytest.raises(EmbeddingError, match=r"The embeddings endpoint failed for model 'fake-embed' on a batch of 1"):
        embed(TEXTS[:1], settings=_settings(openai_server))
