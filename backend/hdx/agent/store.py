"""Per-computation state on disk, so a restarted agent resumes where it stopped.

    computations/<id>/meta.json       public facts: parties and keys, iteration, rounds stepped and posted
    computations/<id>/state-<r>.bin   the protocol state after round r (secret)
    computations/<id>/outbox-<r>.bin  the messages of round r, framed as the exchange frames them

Rounds are the computation's: an iterative analysis numbers each iteration's rounds after the previous
one's, and a new iteration starts from a fresh protocol state stored as of the rounds before it.

A round is committed by rewriting meta.json after its state and outbox are on disk; its messages are
posted only after that. A crash before the commit re-steps the round (nothing was posted yet); a crash
after it re-posts the stored bytes, which the exchange accepts idempotently. Once a computation is
finished its secret files are deleted and only meta.json stays, for `hdx agent status`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hdx.agent.files import private_dir, write_private
from hdx.computations import framing

COMPUTATIONS_DIR = "computations"
META = "meta.json"


@dataclass(frozen=True)
class StoredParty:
    index: int
    organization_id: str
    x25519_public: str  # base64, as the exchange bound it when the computation started
    ed25519_public: str


@dataclass(frozen=True)
class LocalComputation:
    computation_id: str
    protocol: str
    analysis: str
    params: dict[str, Any]
    threshold: int
    k: int
    my_index: int
    parties: list[StoredParty]
    rows: int
    clipped: int
    rounds: int
    # The result recipient (paillier, hybrid) and the release's privacy parameters.
    requester_organization_id: str = ""
    epsilon: float | None = None
    delta: float | None = None
    # "central" or "distributed": in distributed mode this party noises its own input.
    dp_mode: str | None = None
    # Iterative analyses: the current iteration, the rounds played before it, and its parameters (checked
    # against `params`, as accepted); `rounds`, `rows` and `clipped` are those of one iteration.
    iteration: int = 1
    round_offset: int = 0
    iteration_params: dict[str, Any] | None = None
    stepped: int = 0
    posted: int = 0
    status: str = "running"
    finished: bool = False
    halted: str | None = None
    result_id: str | None = None
    updated_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    @property
    def current_params(self) -> dict[str, Any]:
        return self.params if self.iteration_params is None else self.iteration_params

    def but(self, **changes: Any) -> LocalComputation:
        return replace(self, **changes, updated_at=datetime.now(UTC).isoformat())

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> LocalComputation:
        return cls(**(raw | {"parties": [StoredParty(**party) for party in raw["parties"]]}))


class ComputationStore:
    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / COMPUTATIONS_DIR

    def _dir(self, computation_id: str) -> Path:
        # Ids come from the exchange: never let one name a path outside the store.
        if not computation_id or not all(c.isalnum() or c == "-" for c in computation_id):
            raise ValueError(f"unexpected computation id {computation_id!r}")
        return self.root / computation_id

    def exists(self, computation_id: str) -> bool:
        return (self._dir(computation_id) / META).exists()

    def load(self, computation_id: str) -> LocalComputation:
        return LocalComputation.from_json(json.loads((self._dir(computation_id) / META).read_text()))

    def all(self) -> list[LocalComputation]:
        if not self.root.exists():
            return []
        found = [self.load(path.parent.name) for path in self.root.glob(f"*/{META}")]
        return sorted(found, key=lambda item: item.updated_at)

    def save(self, computation: LocalComputation) -> None:
        directory = private_dir(self._dir(computation.computation_id))
        write_private(directory / META, json.dumps(computation.to_json(), indent=2).encode())

    def begin(self, computation: LocalComputation, state: bytes) -> None:
        """Store a fresh protocol state (a computation's start, or a new iteration's) as of round
        `computation.stepped`; whatever the previous iteration left is deleted once that is committed."""
        directory = private_dir(self._dir(computation.computation_id))
        current = directory / f"state-{computation.stepped}.bin"
        write_private(current, state)
        self.save(computation)
        for path in directory.glob("*.bin"):
            if path != current:
                path.unlink(missing_ok=True)

    def state(self, computation: LocalComputation) -> bytes:
        return (self._dir(computation.computation_id) / f"state-{computation.stepped}.bin").read_bytes()

    def commit_step(
        self, computation: LocalComputation, round_number: int, state: bytes, outbox: list[framing.Frame]
    ) -> LocalComputation:
        directory = self._dir(computation.computation_id)
        write_private(directory / f"state-{round_number}.bin", state)
        write_private(directory / f"outbox-{round_number}.bin", framing.encode(outbox))
        stepped = computation.but(stepped=round_number)
        self.save(stepped)
        (directory / f"state-{computation.stepped}.bin").unlink(missing_ok=True)
        return stepped

    def outbox(self, computation: LocalComputation, round_number: int) -> list[framing.Frame]:
        path = self._dir(computation.computation_id) / f"outbox-{round_number}.bin"
        return framing.decode(path.read_bytes())

    def mark_posted(self, computation: LocalComputation, round_number: int) -> LocalComputation:
        posted = computation.but(posted=round_number)
        self.save(posted)
        (self._dir(computation.computation_id) / f"outbox-{round_number}.bin").unlink(missing_ok=True)
        return posted

    def finish(self, computation: LocalComputation, **changes: Any) -> LocalComputation:
        """Record the end and delete the secret protocol state: nothing is left to protect it for."""
        # Secrets first: a crash in between leaves a record still marked unfinished, finished again later.
        for path in self._dir(computation.computation_id).glob("*.bin"):
            path.unlink(missing_ok=True)
        finished = computation.but(finished=True, **changes)
        self.save(finished)
        return finished
