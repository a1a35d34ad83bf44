"""The browser test skips, saying why, when Chromium, Playwright or the dashboard build is missing;
with HDX_E2E_REQUIRED=1 (CI) it fails instead."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.e2e import conftest as e2e


@pytest.mark.parametrize(
    ("required", "outcome"), [(None, pytest.skip.Exception), ("1", pytest.fail.Exception)]
)
def test_a_missing_browser_skips_unless_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, required: str | None, outcome: type[BaseException]
) -> None:
    monkeypatch.setattr(e2e, "CHROMIUM", tmp_path / "chromium")
    if required is None:
        monkeypatch.delenv("HDX_E2E_REQUIRED", raising=False)
    else:
        monkeypatch.setenv("HDX_E2E_REQUIRED", required)
    with pytest.raises(outcome, match="chromium is missing"):
        e2e.require_browser()


def test_a_missing_playwright_fails_when_required(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    chromium = tmp_path / "chromium"
    chromium.write_text("")
    monkeypatch.setattr(e2e, "CHROMIUM", chromium)
    monkeypatch.setitem(sys.modules, "playwright", None)
    monkeypatch.setenv("HDX_E2E_REQUIRED", "1")
    with pytest.raises(pytest.fail.Exception, match="playwright package is not installed"):
        e2e.require_browser()


def test_an_unbuilt_dashboard_skips_and_says_how_to_build_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(e2e, "EXPORT_DIR", tmp_path / "out")
    monkeypatch.delenv("HDX_E2E_REQUIRED", raising=False)
    with pytest.raises(pytest.skip.Exception, match="make frontend"):
        e2e.require_dashboard()
