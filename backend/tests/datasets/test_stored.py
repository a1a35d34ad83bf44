"""The stored table: uploads larger than one chunk, blobs of the earlier single-Parquet format, damage."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import polars as pl
import pytest
from fastapi import FastAPI

from hdx.auth.models import Role
from hdx.config import Settings
from hdx.crypto import envelope
from hdx.datasets import ingest, service, stored, validation, vault
from tests.conftest import MakeUser
from tests.datasets.conftest import upload, vault_files

VISITS = 150  # each of the 442 patients seen 150 times: a file of several chunks


@pytest.fixture(scope="module")
def visits(diabetes: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([diabetes] * VISITS)


async def test_an_upload_of_many_chunks_reads_back_row_for_row_with_one_pseudonym_per_patient(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, make_user: MakeUser, visits: pl.DataFrame
) -> None:
    content = visits.write_csv().encode()
    assert len(content) > 2 * validation.CHUNK_BYTES
    doctor = await make_user(Role.doctor)
    created = await upload(client, doctor.headers, content)
    assert created.status_code == 201, created.text
    assert created.json()["rows"] == visits.height

    async with app.state.sessionmaker() as session:
        frame = await service.load_frame(session, settings, doctor.organization_id, created.json()["id"])
        kek = await vault.organization_kek(session, settings, doctor.organization_id, create=False)
    expected = visits.drop("patient_id")
    assert frame.drop("patient_pseudonym").with_columns(pl.col("age").cast(pl.Float64)).equals(expected)
    pairs = pl.DataFrame({"patient": visits["patient_id"], "pseudonym": frame["patient_pseudonym"]}).unique()
    assert pairs.height == 442
    assert pairs["pseudonym"].n_unique() == 442
    first = pairs.sort("patient").row(0, named=True)
    assert vault.pseudonymize(vault.pseudonym_key(kek), [first["patient"]]) == [first["pseudonym"]]


async def test_a_broken_row_in_a_later_chunk_stores_nothing(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, make_user: MakeUser, visits: pl.DataFrame
) -> None:
    content = visits.write_csv().encode()
    broken = content + b"MRN-1,1,2,3,4,5,6,7,8,9,10,11,12,13,14\n" + content.split(b"\n", 1)[1]
    doctor = await make_user(Role.doctor)
    response = await upload(client, doctor.headers, broken)
    assert response.status_code == 422
    assert "more fields than the header" in response.json()["detail"]
    assert vault_files(settings) == []


def seal(tmp_path: Path, plaintext: bytes) -> tuple[Path, bytes, bytes]:
    key, context = envelope.generate_key(), b"dataset context"
    path = tmp_path / "blob.hdx"
    with path.open("wb") as file:
        writer = envelope.SealingWriter(key, file, context)
        writer.write(plaintext)
        writer.close()
    return path, key, context


def test_a_blob_of_the_single_parquet_format_is_still_read(tmp_path: Path) -> None:
    digests = [bytes([i]) * 16 for i in range(3)]
    table = pl.DataFrame(
        {"patient_pseudonym": digests, "heart_rate": [61.0, 72.0, 83.0]},
        schema={"patient_pseudonym": pl.Binary, "heart_rate": pl.Float64},
    )
    parquet = io.BytesIO()
    table.write_parquet(parquet)
    frame = ingest.read_blob(*seal(tmp_path, parquet.getvalue()))
    assert frame["patient_pseudonym"].to_list() == [d.hex() for d in digests]
    assert frame["heart_rate"].to_list() == [61.0, 72.0, 83.0]


def parts(*frames: tuple[bytes, pl.DataFrame]) -> bytes:
    sink = io.BytesIO()
    writer = stored.PartWriter(sink)
    for kind, frame in frames:
        if kind == stored.ROWS:
            writer.rows(frame)
        else:
            writer.dictionary(frame.to_series())
    return sink.getvalue()


def test_rows_index_their_dictionary() -> None:
    rows = [
        (stored.ROWS, pl.DataFrame({"p": pl.Series([0, 1, 0], dtype=pl.UInt32), "v": [1.0, 2.0, 3.0]})),
        (stored.ROWS, pl.DataFrame({"p": pl.Series([2], dtype=pl.UInt32), "v": [4.0]})),
    ]
    table = stored.read(parts(*rows, (stored.DICTIONARY, pl.DataFrame({"p": [b"a", b"b", b"c"]}))))
    assert table.rows() == [(b"a", 1.0), (b"b", 2.0), (b"a", 3.0), (b"c", 4.0)]


@pytest.mark.parametrize(
    ("plaintext", "message"),
    [
        pytest.param(b"not a table", "neither Parquet nor HDX parts", id="unknown"),
        pytest.param(stored.MAGIC + b"\x02", "unsupported version 2", id="version"),
        pytest.param(stored.MAGIC + b"\x01", "no rows", id="no-parts"),
        pytest.param(stored.MAGIC + b"\x01R\x00\x00", "inside a part header", id="cut-header"),
        pytest.param(
            stored.MAGIC + b"\x01R" + (99).to_bytes(8, "big") + b"PAR1", "inside a part", id="cut-part"
        ),
    ],
)
def test_a_damaged_table_is_a_format_error(plaintext: bytes, message: str) -> None:
    with pytest.raises(stored.FormatError, match=message):
        stored.read(plaintext)


def test_rows_that_do_not_index_their_dictionary_are_a_format_error() -> None:
    out_of_range = (stored.ROWS, pl.DataFrame({"p": pl.Series([0, 3], dtype=pl.UInt32)}))
    dictionary = (stored.DICTIONARY, pl.DataFrame({"p": [b"a", b"b"]}))
    with pytest.raises(stored.FormatError, match="does not index its dictionary"):
        stored.read(parts(out_of_range, dictionary))
    unknown_kind = parts((stored.ROWS, pl.DataFrame({"p": [1]})))
    with pytest.raises(stored.FormatError, match="unknown kind"):
        stored.read(unknown_kind.replace(b"R", b"X", 1))


def test_a_damaged_table_in_a_sound_envelope_reads_as_an_integrity_failure(tmp_path: Path) -> None:
    with pytest.raises(vault.IntegrityFailure, match="cannot be read"):
        ingest.read_blob(*seal(tmp_path, stored.MAGIC + b"\x09"))
