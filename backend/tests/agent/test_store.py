"""Per-computation state: committed rounds survive a restart, outboxes replay the same bytes, secrets go."""

from __future__ import annotations

from pathlib import Path

import pytest

from hdx.agent.files import mode_of
from hdx.agent.store import ComputationStore, LocalComputation, StoredParty
from hdx.computations.framing import Frame


def local(computation_id: str = "3f0c-aa") -> LocalComputation:
    return LocalComputation(
        computation_id=computation_id,
        protocol="shamir",
        analysis="mean",
        params={"variable": {"name": "bmi", "lo": 8.0, "hi": 120.0}},
        threshold=2,
        k=5,
        my_index=1,
        parties=[StoredParty(1, "org-a", "eA==", "eQ=="), StoredParty(2, "org-b", "eg==", "dw==")],
        rows=147,
        clipped=0,
        rounds=2,
    )


def test_a_round_is_committed_posted_and_resumed_from_disk(tmp_path: Path) -> None:
    store = ComputationStore(tmp_path)
    started = local()
    store.begin(started, b"state zero")
    assert store.state(started) == b"state zero"

    outbox = [Frame(1, 1, 2, "share", b"for two"), Frame(1, 1, 0, "commit", b"for the exchange")]
    stepped = store.commit_step(started, 1, b"state one", outbox)
    reloaded = ComputationStore(tmp_path).load(started.computation_id)
    assert (reloaded.stepped, reloaded.posted) == (1, 0)
    assert reloaded.parties == started.parties
    assert store.state(reloaded) == b"state one"
    assert store.outbox(reloaded, 1) == outbox
    assert not (tmp_path / "computations" / started.computation_id / "state-0.bin").exists()

    posted = store.mark_posted(stepped, 1)
    assert store.load(started.computation_id).posted == 1
    assert not (tmp_path / "computations" / started.computation_id / "outbox-1.bin").exists()
    assert [c.computation_id for c in store.all()] == [posted.computation_id]


def test_state_files_are_private_and_deleted_when_finished(tmp_path: Path) -> None:
    store = ComputationStore(tmp_path)
    started = local()
    store.begin(started, b"secret")
    directory = tmp_path / "computations" / started.computation_id
    assert mode_of(directory) == 0o700
    assert all(mode_of(path) == 0o600 for path in directory.iterdir())
    store.commit_step(started, 1, b"secret one", [Frame(1, 1, 2, "share", b"x")])
    store.finish(store.load(started.computation_id), status="completed", result_id="r1")
    assert sorted(path.name for path in directory.iterdir()) == ["meta.json"]
    finished = store.load(started.computation_id)
    assert (finished.finished, finished.status, finished.result_id) == (True, "completed", "r1")


@pytest.mark.parametrize("bad", ["../escape", "a/b", "", "..", "x y"])
def test_an_id_that_names_a_path_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="unexpected computation id"):
        ComputationStore(tmp_path).exists(bad)
