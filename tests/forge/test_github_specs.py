"""The pinned GitHub descriptions: fetched from npm, checked by sha256, and a clear failure when unavailable."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.forge import specs


def test_pinned_specs_are_cached_and_verified() -> None:
    paths = specs.ensure_specs()
    assert paths.openapi.name == "api.github.com.json" and paths.openapi.stat().st_size > 1_000_000
    assert specs._sha256(paths.graphql) == specs.GRAPHQL.sha256


def test_a_tampered_download_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(specs, "CACHE_DIR", tmp_path)
    wrong = replace(specs.GRAPHQL, sha256="0" * 64)
    with pytest.raises(specs.SpecUnavailableError, match="checksum differs from the pinned one"):
        specs._fetch(wrong)
    assert not wrong.target.exists()


def test_missing_npm_is_a_failure_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(specs, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(specs.shutil, "which", lambda _name: None)
    with pytest.raises(specs.SpecUnavailableError, match="npm is not on PATH"):
        specs._fetch(specs.GRAPHQL)
