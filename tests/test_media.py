"""Play from here hands `st.audio` only an http(s) URL or a file inside the store's audio folder, never another path."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import url_util

from ui.media import STREAMLIT_URL_SCHEMES, playable


@pytest.fixture
def audio_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "audio"
    folder.mkdir()
    monkeypatch.setenv("PODBRIEF_AUDIO_DIR", str(folder))
    return folder


@pytest.mark.parametrize("value", [
    "file:///etc/passwd", "/etc/passwd", "../x.mp3", "x.mp3", "~/.ssh/id_rsa", "file://evil.example.com/x.mp3",
    "http:/etc/passwd", "http:///etc/passwd", "javascript:alert(1)", "data:audio/mpeg;base64,AAAA", "ftp://example.com/a.mp3",
    "/etc/passwd\x00.mp3", "C:\\Windows\\win.ini", "", None,
])
def test_local_paths_and_other_schemes_never_reach_st_audio(audio_dir: Path, value: str | None) -> None:
    assert playable(value) is None


@pytest.mark.parametrize("value", [
    "http://127.0.0.1/../../etc/passwd", "https://cdn.example.com/ep.mp3?x=1#t=5", "HTTP://example.com/a.mp3",
    "  https://example.com/a.mp3  ",
])
def test_web_urls_pass_as_urls_that_st_audio_will_not_read_as_files(audio_dir: Path, value: str) -> None:
    source = playable(value)
    assert source == value.strip()
    assert url_util.is_url(source, allowed_schemas=STREAMLIT_URL_SCHEMES)  # so st.audio sends it to the browser as a URL


def test_files_inside_the_audio_folder_play_and_escapes_do_not(audio_dir: Path, tmp_path: Path) -> None:
    clip = audio_dir / "episode one.mp3"
    clip.write_bytes(b"ID3")
    assert playable(str(clip)) == str(clip.resolve())
    assert playable(clip.as_uri()) == str(clip.resolve())
    outside = tmp_path / "secret.mp3"
    outside.write_bytes(b"secret")
    (audio_dir / "link.mp3").symlink_to(outside)
    assert playable(str(audio_dir / "link.mp3")) is None  # a link out of the folder is followed, then refused
    assert playable(str(audio_dir / ".." / "secret.mp3")) is None
    assert playable(str(audio_dir / "missing.mp3")) is None
    assert playable(str(audio_dir)) is None  # the folder itself is not a file
