"""The fingerprint key: created once, 0600, reused; explicit and fallback locations."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import pytest
from zsp.cli.scan.fingerprint import KeyFileError, fingerprint, load_or_create_key
from zsp.cli.scan.inventory import mask


def test_key_created_once_with_mode_0600_and_reused(tmp_path: Path) -> None:
    key, path = load_or_create_key(tmp_path)
    assert path == tmp_path / ".zsp" / "fingerprint.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) == 32 and path.read_text().strip() == key.hex()
    assert (tmp_path / ".zsp" / ".gitignore").read_text() == "*\n"
    again, _ = load_or_create_key(tmp_path)
    assert again == key


def test_fingerprint_is_hmac_sha256_of_utf8(tmp_path: Path) -> None:
    key = b"k" * 32
    expected = hmac.new(key, "tök".encode(), hashlib.sha256).hexdigest()
    assert fingerprint(key, "tök") == expected


def test_unwritable_root_falls_back_to_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ZSP_FINGERPRINT_KEY_FILE", raising=False)
    _key, path = load_or_create_key(not_a_dir)
    assert path == tmp_path / "home" / ".zsp" / "fingerprint.key"


def test_env_and_explicit_key_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = tmp_path / "explicit.key"
    explicit.write_text("00" * 16 + "ff" * 16)
    monkeypatch.setenv("ZSP_FINGERPRINT_KEY_FILE", str(explicit))
    key, path = load_or_create_key(tmp_path / "root")
    assert (key, path) == (bytes.fromhex("00" * 16 + "ff" * 16), explicit)
    short = tmp_path / "short.key"
    short.write_text("abcd")
    with pytest.raises(KeyFileError, match=r"short\.key"):
        load_or_create_key(tmp_path, short)
    with pytest.raises(KeyFileError, match=r"missing\.key"):
        load_or_create_key(tmp_path, tmp_path / "missing.key")


def test_mask_shows_at_most_four_plus_four() -> None:
    assert mask("sk-proj-abcdefghijklmnopqrstuvwxyzXy12") == "sk-p…Xy12"
    assert mask("AKIAZ7QW4RT2YU6IO3PA") == "AKI…3PA"
    assert mask("short") == "…"
