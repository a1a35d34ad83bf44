from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from fastapi import FastAPI

from hdx.datasets.models import Dataset

MakeDataset = Callable[[str], Awaitable[str]]


@pytest.fixture
def make_dataset(app: FastAPI) -> MakeDataset:
    """A dataset row of organization `organization_id` (its contents play no part in budgeting)."""

    async def factory(organization_id: str) -> str:
        async with app.state.sessionmaker() as session:
            dataset = Dataset(
                organization_id=organization_id,
                name="vitals",
                category="vitals",
                rows=100,
                upload_bytes=1000,
                stored_bytes=1200,
                delimiter=",",
                columns=[],
                report={},
            )
            session.add(dataset)
            await session.commit()
            return dataset.id

    return factory
