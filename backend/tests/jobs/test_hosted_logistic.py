"""Logistic regression over vault datasets: the hosted agent plays every party through every Newton
iteration, computing each party's contribution again, over the same dataset, at the coefficients the
exchange announces."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.crypto import paillier as he
from hdx.datasets.catalog import normalize_name
from hdx.hosted.models import HostedPartyState
from hdx.protocols import paillier
from tests.analyses.federation import split
from tests.analyses.test_logistic import CANCER, FEATURES
from tests.computations.conftest import BASE, Org, create, spec
from tests.datasets.conftest import upload
from tests.jobs.conftest import result

# An upload's column names are matched to the catalog normalized: "mean radius" is "mean_radius".
COLUMNS = [normalize_name(name) for name in FEATURES]
PARAMS = {"outcome": "target", "covariates": [{"name": name, "lo": -8, "hi": 8} for name in COLUMNS]}


@pytest.fixture(autouse=True)
def quick_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paillier, "KEY_BITS", he.MIN_KEY_BITS)


async def _vault(client: httpx.AsyncClient, orgs: list[Org]) -> list[str]:
    """Each organization's share of the study as it exports it: an identifier, the scikit-learn column
    names, the 0/1 diagnosis."""
    ids = pl.Series("patient_id", [f"BC-{10_000 + i}" for i in range(CANCER.height)])
    study = CANCER.select([*FEATURES, "target"]).insert_column(0, ids)
    datasets = []
    for org, frame in zip(orgs, split(study, 3, seed=3), strict=True):
        response = await upload(client, org.doctor.headers, frame.write_csv().encode(), name="breast cancer")
        assert response.status_code == 201, response.text
        datasets.append(str(response.json()["id"]))
    return datasets


@pytest.mark.parametrize("protocol", ["shamir", "paillier"])
async def test_vault_parties_run_every_newton_iteration(
    client: httpx.AsyncClient, orgs: list[Org], db: AsyncSession, protocol: str
) -> None:
    datasets = await _vault(client, orgs)
    body = spec(orgs, protocol=protocol, analysis="logistic", params=PARAMS, threshold=2)
    cid = (await create(client, orgs[0].doctor, body))["id"]
    for org, dataset_id in zip(orgs, datasets, strict=True):
        response = await client.post(
            f"{BASE}/{cid}/accept", json={"dataset_id": dataset_id}, headers=org.admin.headers
        )
        assert response.status_code == 200, response.text

    released = await result(client, orgs[1], cid)

    reference = sm.Logit(
        CANCER.get_column("target").to_numpy(), sm.add_constant(CANCER.select(FEATURES).to_numpy())
    ).fit(disp=0, tol=1e-12)
    values: dict[str, Any] = released["values"]["values"]
    np.testing.assert_allclose(values["coefficients"], reference.params, rtol=1e-6)
    np.testing.assert_allclose(values["std_errors"], reference.bse, rtol=1e-6)
    assert values["iterations"] > 1
    assert values["terms"] == ["const", *COLUMNS]
    assert released["values"]["n"] == CANCER.height
    # The hosted parties' secrets of every iteration are gone with the run.
    assert await db.scalar(select(func.count()).select_from(HostedPartyState)) == 0
