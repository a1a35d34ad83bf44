"""A real exchange in its own process (SQLite in a temporary directory) and hospitals registered
through its API; agents run in this process against it, over real HTTP.

`fed` is the multi-process federation (an exchange and three `hdx agent run` processes with a third of
the diabetes data each), set up once per session and shared by every multi-process test: each test
runs its own computations on it and leaves every agent running when it ends."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from hdx.agent import policy, source
from hdx.agent.client import ExchangeClient, RetryPolicy
from hdx.agent.enroll import enroll
from hdx.agent.federation import Federation, federation
from hdx.agent.localnet import LocalExchange, Processes, start_exchange
from hdx.agent.onboarding import Hospital, register_hospital
from hdx.agent.runner import Agent
from hdx.agent.store import ComputationStore


@pytest.fixture(scope="session")
def exchange(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalExchange]:
    with Processes() as processes:
        yield start_exchange(processes, tmp_path_factory.mktemp("exchange"))


# The federation's exchange applies deadlines only when it starts: the dropout tests give rounds a
# deadline of seconds and restart the exchange once the parties still there have spoken. A periodic
# sweep (every 30 s by default) landing after such a deadline would drop a party that a busy machine
# merely slowed down, or end the computation before the test looked at it.
NO_PERIODIC_SWEEP = 24 * 3600.0


@pytest.fixture(scope="session")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    with federation(
        tmp_path_factory.mktemp("federation"), poll_seconds=0.3, sweep_seconds=NO_PERIODIC_SWEEP
    ) as running:
        yield running


@pytest.fixture
def http(exchange: LocalExchange) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=exchange.url, timeout=30) as client:
        yield client


@pytest.fixture
def register(http: httpx.Client, exchange: LocalExchange) -> Callable[[int], list[Hospital]]:
    """Fresh hospitals for every test, so no test sees another's invitations."""

    def make(count: int) -> list[Hospital]:
        names = [f"Hospital {uuid.uuid4().hex[:8]}" for _ in range(count)]
        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(lambda name: register_hospital(http, exchange.mail_dir, name), names))

    return make


@dataclass
class AgentFactory:
    exchange: LocalExchange
    root: Path
    clients: list[ExchangeClient] = field(default_factory=list)

    def __call__(
        self, hospital: Hospital, data: Path, rules: policy.Policy, *, retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> Agent:  # fmt: skip
        state_dir = self.root / hospital.organization_id
        keys = enroll(state_dir, self.exchange.url, hospital.api_key).keys
        client = ExchangeClient(self.exchange.url, hospital.api_key, retry=retry, transport=transport)
        self.clients.append(client)
        return Agent(
            client, keys, ComputationStore(state_dir), source.load(data), rules, sleep=lambda _: None
        )


@pytest.fixture
def make_agent(exchange: LocalExchange, tmp_path: Path) -> Iterator[AgentFactory]:
    factory = AgentFactory(exchange, tmp_path / "agents")
    yield factory
    for client in factory.clients:
        client.close()
