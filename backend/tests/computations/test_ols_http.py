"""OLS with all ten diabetes covariates through the real API (shamir, and paillier for a homomorphic
protocol): the coefficients and standard errors equal statsmodels' on the pooled data to 1e-6."""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import pytest
import statsmodels.api as sm

from hdx.crypto import paillier as he
from hdx.protocols import paillier
from tests.analyses.federation import diabetes, split
from tests.analyses.test_ols import COVARIATES, variable
from tests.computations.conftest import Org, accept_all, create, spec
from tests.computations.protocol_agents import HttpAgent, register_keys
from tests.computations.test_protocols_http import _result, _rounds

ROUNDS = {"shamir": 2, "paillier": 3}
PARAMS: dict[str, Any] = {"outcome": variable("target"), "covariates": [variable(c) for c in COVARIATES]}


@pytest.fixture(autouse=True)
def quick_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paillier, "KEY_BITS", he.MIN_KEY_BITS)


@pytest.mark.parametrize("protocol", ["shamir", "paillier"])
async def test_ols_with_ten_covariates_matches_statsmodels(
    client: httpx.AsyncClient, orgs: list[Org], outsider: Org, protocol: str
) -> None:
    four = [*orgs, outsider]
    pooled = diabetes()
    agents = [
        HttpAgent(client, org, await register_keys(client, org), frame)
        for org, frame in zip(four, split(pooled, 4, seed=4), strict=True)
    ]
    body = spec(four, protocol=protocol, analysis="ols", params=PARAMS, threshold=3, min_participants=4)
    cid = (await create(client, four[0].doctor, body))["id"]
    assert (await accept_all(client, four, cid))["status"] == "running"
    for agent in agents:
        await agent.join(cid)
    await _rounds(agents, range(1, ROUNDS[protocol] + 1))

    result = await _result(client, four[1], cid)
    values = result["values"]["values"]
    x = pooled.select(COVARIATES).to_numpy()
    reference = sm.OLS(pooled.get_column("target").to_numpy(), sm.add_constant(x)).fit()
    assert values["terms"] == ["const", *COVARIATES]
    np.testing.assert_allclose(values["coefficients"], reference.params, rtol=1e-6)
    np.testing.assert_allclose(values["std_errors"], reference.bse, rtol=1e-6)
    assert result["protection"]["frac_bits"] == 40
