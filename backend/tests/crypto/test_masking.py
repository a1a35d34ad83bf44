from uuid import UUID, uuid4

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from hdx.crypto.errors import ParameterError
from hdx.crypto.field import CHUNK
from hdx.crypto.masking import (
    SELF_LABEL,
    mask,
    pair_seed,
    remove_dropout_masks,
    remove_self_masks,
    sum_vectors,
    unmask,
)
from hdx.crypto.prg import expand_u64, random_seed

words = st.integers(0, (1 << 64) - 1)


def _run(
    inputs: dict[int, np.ndarray], dropouts: set[int], computation: UUID
) -> tuple[np.ndarray, np.ndarray]:
    """Every party masks against every advertised peer; only survivors upload. Returns (unmasked, expected)."""
    keys = {i: X25519PrivateKey.generate() for i in inputs}
    publics = {i: k.public_key() for i, k in keys.items()}
    self_seeds = {i: random_seed() for i in inputs}
    survivors = sorted(set(inputs) - dropouts)
    masked = [
        mask(
            inputs[i],
            i,
            {j: pair_seed(keys[i], publics[j], computation, i, j) for j in inputs if j != i},
            self_seeds[i],
        )
        for i in survivors
    ]
    result = unmask(
        sum_vectors(masked),
        computation,
        {i: self_seeds[i] for i in survivors},
        {d: keys[d] for d in dropouts},
        publics,
    )
    return result, sum_vectors([inputs[i] for i in survivors])


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_masks_cancel_for_any_survivors_and_dropouts(data: st.DataObject) -> None:
    parties = data.draw(st.integers(2, 6))
    length = data.draw(st.integers(1, 40))
    inputs = {
        i: np.array(data.draw(st.lists(words, min_size=length, max_size=length)), dtype=np.uint64)
        for i in range(1, parties + 1)
    }
    dropouts = set(data.draw(st.lists(st.sampled_from(sorted(inputs)), max_size=parties - 1, unique=True)))
    result, expected = _run(inputs, dropouts, uuid4())
    assert np.array_equal(result, expected)


def test_masks_cancel_across_chunk_boundaries() -> None:
    rng = np.random.default_rng(3)
    inputs = {i: rng.integers(0, 1 << 63, 2 * CHUNK + 5, dtype=np.uint64) for i in (1, 2, 3, 4)}
    result, expected = _run(inputs, {3}, uuid4())
    assert np.array_equal(result, expected)


def test_a_masked_input_hides_the_vector_until_every_mask_is_removed() -> None:
    vector = np.arange(1000, dtype=np.uint64)
    self_seed = random_seed()
    alone = mask(vector, 1, {}, self_seed)
    assert np.array_equal(alone - expand_u64(self_seed, 1000, SELF_LABEL), vector)
    keys = [X25519PrivateKey.generate() for _ in range(2)]
    computation = uuid4()
    seed = pair_seed(keys[0], keys[1].public_key(), computation, 1, 2)
    masked = mask(vector, 1, {2: seed}, self_seed)
    assert not np.array_equal(remove_self_masks(masked, [self_seed]), vector)
    dropped = remove_dropout_masks(masked, computation, {2: keys[1]}, [1], {1: keys[0].public_key()})
    assert np.array_equal(remove_self_masks(dropped, [self_seed]), vector)


def test_pair_seeds_agree_and_are_bound_to_computation_and_indices() -> None:
    a, b = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    computation = uuid4()
    seed = pair_seed(a, b.public_key(), computation, 3, 7)
    assert seed == pair_seed(b, a.public_key(), computation, 7, 3)
    assert seed != pair_seed(a, b.public_key(), uuid4(), 3, 7)
    assert seed != pair_seed(a, b.public_key(), computation, 3, 8)
    with pytest.raises(ParameterError):
        pair_seed(a, b.public_key(), computation, 3, 3)


def test_unmask_refuses_a_party_that_both_survived_and_dropped() -> None:
    key = X25519PrivateKey.generate()
    with pytest.raises(ParameterError, match="both survivors and dropouts"):
        unmask(np.zeros(2, dtype=np.uint64), uuid4(), {1: random_seed()}, {1: key}, {1: key.public_key()})
