"""A result released under differential privacy says which of its fields carry noise, and shows no
impossible value however much noise there is."""

from __future__ import annotations

import httpx
import polars as pl

from tests.computations.conftest import BASE, Org, create, spec
from tests.jobs.conftest import GLUCOSE, result


async def test_a_heavily_noised_histogram_shows_no_negative_count_and_explains_its_noise(
    client: httpx.AsyncClient, orgs: list[Org], vault: list[str], diabetes: pl.DataFrame
) -> None:
    # Epsilon at its lowest: Laplace noise of scale about 2000 on every count, so half of them would be
    # negative as noised.
    params = {"variable": GLUCOSE, "bins": 30}
    body = spec(orgs, analysis="histogram", params=params, epsilon=0.001, threshold=2)
    cid = (await create(client, orgs[0].doctor, body))["id"]
    for org, dataset_id in zip(orgs, vault, strict=True):
        response = await client.post(
            f"{BASE}/{cid}/accept", json={"dataset_id": dataset_id}, headers=org.admin.headers
        )
        assert response.status_code == 200, response.text

    released = await result(client, orgs[0], cid)

    values = released["values"]
    counts = values["values"]["counts"]
    assert len(counts) == 30
    assert all(count is None or count >= 0 for count in counts)
    assert values["n"] == sum(count or 0 for count in counts) != diabetes.height
    assert values["clipped"] is None or values["clipped"] >= 0
    assert released["protection"]["clipped"] == values["clipped"]
    (note,) = [note for note in values["notes"] if note.startswith("differential privacy")]
    assert "n, every count and the number of clipped values carry noise" in note
    assert "below 0 are shown as 0" in note
