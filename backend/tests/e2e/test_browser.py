# ruff: noqa: E402
"""Two hospitals in two browsers: they register, upload their half of scikit-learn's diabetes study as a
blood test panel, and compute over both halves with Shamir secret sharing: the mean blood glucose, then
its histogram. The requester watches the mean finish without reloading the page; every number the pages
show equals the API's, and the pooled mean and histogram computed here with numpy."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import numpy as np
import polars as pl
import pytest

from tests.e2e.conftest import Server, require_browser

# Before Playwright is imported: without it (or without Chromium) the module is skipped, saying why.
require_browser()

from playwright.sync_api import Browser, Page, expect

from hdx.agent.diabetes import diabetes
from tests.e2e.computations import (
    Proposal,
    accept_invitation,
    bins_shown,
    fill_wizard,
    result_region,
    send_invitations,
    status_shown,
    value_shown,
    wait_until_live,
    watch_until_settled,
)
from tests.e2e.dashboard import (
    Hospital,
    definition,
    navigate,
    open_uploaded_dataset,
    register,
    shot,
    shots_on_failure,
    sign_in,
    upload,
    verify_email,
)

pytestmark = pytest.mark.e2e

BLOOD_TEST = [
    "patient_id",
    "age",
    "sex",
    "glucose",
    "total_cholesterol",
    "ldl_cholesterol",
    "hdl_cholesterol",
]
DATASET = "Diabetes study blood tests"
MEAN = Proposal("Mean blood glucose, diabetes study", "mean", "glucose")
# 10 mg/dL bins; the lowest and highest hold fewer than k=10 patients and are withheld.
EDGES = np.linspace(50, 130, 9)
HISTOGRAM = Proposal("Blood glucose distribution, diabetes study", "histogram", "glucose", "50", "130", "8")
RESULT_SECONDS = 90
STEP_MS = 15_000
PNG = b"\x89PNG\r\n\x1a\n"
MAIN_PAGES = [
    "overview",
    "upload-report",
    "datasets",
    "dataset-detail",
    "wizard",
    "approvals",
    "computation-result",
    "computation-chart",
    "audit",
    "settings",
]


def _hospitals(directory: Path) -> tuple[list[Hospital], pl.DataFrame]:
    """Each hospital gets its own half of the 442 patients as a CSV file; returns the whole study too."""
    frame = diabetes().select(BLOOD_TEST)
    half = frame.height // 2
    hospitals = []
    for tag, name, rows in (
        ("a", "Aare Valley Hospital", frame[:half]),
        ("b", "Birs Hospital", frame[half:]),
    ):
        csv = directory / f"blood-tests-{tag}.csv"
        rows.write_csv(csv)
        hospitals.append(
            Hospital(
                name=name,
                full_name=f"Dr {tag.upper()} Data Steward",
                email=f"steward@{tag}-hospital.ch",
                password=secrets.token_urlsafe(18),
                location="Basel, Switzerland",
                csv=csv,
            )
        )
    return hospitals, frame


def _open_browsers(browser: Browser) -> tuple[Page, Page]:
    pages = []
    for _ in range(2):
        context = browser.new_context(
            locale="en-US", timezone_id="UTC", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(STEP_MS)
        pages.append(context.new_page())
    return pages[0], pages[1]


def _onboard(page: Page, server: Server, hospital: Hospital) -> None:
    register(page, server.url, hospital)
    verify_email(page, server.data_dir / "mail", hospital)
    sign_in(page, hospital)


def _upload_and_browse(page: Page, hospital: Hospital, rows: int, artifacts: Path) -> None:
    upload(page, hospital, DATASET, rows)
    shot(page, artifacts, "upload-report")
    open_uploaded_dataset(page, DATASET)
    expect(definition(page, "Rows available to analyses")).to_have_text(f"{rows:,}")
    shot(page, artifacts, "dataset-detail")
    navigate(page, "Datasets", "Datasets")
    expect(page.get_by_role("link", name=DATASET)).to_be_visible()
    shot(page, artifacts, "datasets")


def _visit_the_rest(page: Page, hospital: Hospital, artifacts: Path) -> None:
    navigate(page, "Audit trail", "Audit trail")
    expect(page.get_by_text("The audit trail is intact")).to_be_visible()
    shot(page, artifacts, "audit")
    navigate(page, "Settings", "Settings")
    expect(page.get_by_role("heading", name="Disclosure control")).to_be_visible()
    shot(page, artifacts, "settings")
    navigate(page, "Overview", f"Welcome, {hospital.full_name}")
    expect(page.get_by_role("link", name=MEAN.title)).to_be_visible()
    shot(page, artifacts, "overview")


def _api_result(server: Server, hospital: Hospital, url: str) -> dict[str, Any]:
    """The computation behind a page's URL, read over the API: its status must be completed."""
    computation_id = parse_qs(urlsplit(url).query)["id"][0]
    with httpx.Client(base_url=server.url, timeout=10) as api:
        login = api.post("/login", json={"email": hospital.email, "password": hospital.password})
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        status = api.get(f"/secure-computations/{computation_id}/status", headers=headers)
        assert status.status_code == 200, status.text
        assert status.json()["status"] == "completed", status.json()
        result = api.get(f"/secure-computations/result/{status.json()['result_id']}", headers=headers)
        assert result.status_code == 200, result.text
        assert result.json()["status"] == "visible", result.json()
        body: dict[str, Any] = result.json()
        return body


def _equals_shown(text: str, value: float) -> bool:
    """Whether a number as shown (grouped, rounded to the decimals it shows) is `value`."""
    number = float(text.replace(",", ""))
    decimals = len(text.partition(".")[2])
    return abs(number - value) <= 0.5 * 10.0**-decimals + 1e-9


def _check_mean(page: Page, result: dict[str, Any], study: pl.DataFrame) -> None:
    region = result_region(page)
    values = result["values"]
    assert value_shown(region, "Records (n)") == f"{values['n']:,}" == f"{study.height:,}"
    shown = value_shown(region, "Mean")
    assert _equals_shown(shown, values["values"]["mean"]), (shown, values)
    # The secure mean is the pooled mean to the resolution of the fixed-point encoding.
    resolution = 2 * 2.0 ** -result["protection"]["frac_bits"] / study.height
    pooled = float(study.get_column("glucose").to_numpy().mean())
    assert values["values"]["mean"] == pytest.approx(pooled, rel=1e-12, abs=resolution)


def _check_histogram(page: Page, result: dict[str, Any], study: pl.DataFrame) -> None:
    region = result_region(page)
    chart = region.get_by_role("img", name="Bar chart of records per bin of glucose")
    expect(chart).to_be_visible()
    box = chart.locator("canvas").bounding_box()
    assert box is not None
    assert box["width"] > 100
    assert box["height"] > 100
    values = result["values"]["values"]
    assert values["edges"] == pytest.approx(EDGES.tolist())
    glucose = np.clip(study.get_column("glucose").to_numpy(), EDGES[0], EDGES[-1])
    pooled, _ = np.histogram(glucose, bins=EDGES)
    shown = bins_shown(region)
    assert len(shown) == len(values["counts"]) == len(pooled)
    assert None in values["counts"], values  # the small cells are withheld...
    for (label, records), count, expected in zip(shown, values["counts"], pooled, strict=True):
        if count is None:
            assert "withheld" in records, (label, records)  # ...and shown as such
        else:
            assert records == f"{count:,}", (label, records, count)
            assert count == expected


def test_two_hospitals_compute_securely_in_the_browser(
    server: Server, browser: Browser, artifacts: Path, tmp_path: Path
) -> None:
    (a, b), study = _hospitals(tmp_path)
    rows = {a.name: study.height // 2, b.name: study.height - study.height // 2}
    dataset = {name: f"{DATASET} (blood test, {count} rows)" for name, count in rows.items()}
    page_a, page_b = _open_browsers(browser)
    with shots_on_failure(artifacts, {"a": page_a, "b": page_b}):
        _onboard(page_a, server, a)
        _onboard(page_b, server, b)
        _upload_and_browse(page_a, a, rows[a.name], artifacts)
        upload(page_b, b, DATASET, rows[b.name])

        fill_wizard(page_a, MEAN, b.name)
        shot(page_a, artifacts, "wizard")
        mean_url = send_invitations(page_a, MEAN.title)
        # Each hospital answers with its vault dataset; the exchange's hosted agents play both parties.
        accept_invitation(page_a, MEAN.title, dataset[a.name])
        page_a.goto(mean_url)
        assert status_shown(page_a) == "Pending approval"
        wait_until_live(page_a)
        navigate(page_b, "Approvals", "Approvals")
        expect(page_b.get_by_role("article", name=MEAN.title)).to_be_visible()
        shot(page_b, artifacts, "approvals")
        accept_invitation(page_b, MEAN.title, dataset[b.name])
        seen = watch_until_settled(page_a, RESULT_SECONDS)
        assert seen[0] == "Pending approval", seen
        assert seen[-1] == "Completed", seen
        _check_mean(page_a, _api_result(server, a, mean_url), study)
        shot(page_a, artifacts, "computation-result")

        fill_wizard(page_a, HISTOGRAM, b.name)
        histogram_url = send_invitations(page_a, HISTOGRAM.title)
        accept_invitation(page_a, HISTOGRAM.title, dataset[a.name])
        accept_invitation(page_b, HISTOGRAM.title, dataset[b.name])
        page_a.goto(histogram_url)
        assert watch_until_settled(page_a, RESULT_SECONDS)[-1] == "Completed"
        _check_histogram(page_a, _api_result(server, a, histogram_url), study)
        shot(page_a, artifacts, "computation-chart")

        _visit_the_rest(page_a, a, artifacts)

    for name in MAIN_PAGES:
        path = artifacts / f"{name}.png"
        assert path.is_file(), path
        assert path.read_bytes()[:8] == PNG, path
        assert path.stat().st_size > 5_000, path
