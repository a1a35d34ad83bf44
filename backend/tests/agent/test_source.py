"""Local data read through the catalog: the same canonical columns, types and ranges as a vault upload."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from hdx.agent.source import SourceError, load
from hdx.datasets.catalog import Category

CSV = """Patient ID;Age;Gender;BMI;Systolic;Glucose
p1;61;F;27,5;141;99
p2;47;male;31,2;128;
p3;55;2;22,0;119;104
p4;70;M;35,1;150;120
"""


def test_a_csv_is_mapped_to_catalog_names_and_types(tmp_path: Path) -> None:
    path = tmp_path / "vitals.csv"
    path.write_text(CSV)
    data = load(path, Category.vitals)
    frame = data.frame
    # The identifier becomes a pseudonym, as in the vault; the other names become canonical.
    assert frame.columns == ["patient_pseudonym", "age", "sex", "bmi", "systolic_bp"]
    assert data.report.ignored_columns == ["Glucose"]
    assert frame.get_column("sex").to_list() == ["F", "M", "F", "M"]
    assert frame.get_column("bmi").to_list() == [27.5, 31.2, 22.0, 35.1]
    assert frame.schema["systolic_bp"] == pl.Float64
    assert "p1" not in frame.get_column("patient_pseudonym").to_list()


def test_parquet_obeys_the_same_rules_as_csv(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "mrn": ["a", "b", "c"],
            "bmi": [21.5, 30.25, 44.0],
            "glucose": [90.0, 130.5, 101.0],
            "ward": ["x", "y", "z"],
        }
    )
    frame.write_parquet(tmp_path / "data.parquet")
    frame.write_csv(tmp_path / "data.csv")
    from_parquet = load(tmp_path / "data.parquet").frame
    from_csv = load(tmp_path / "data.csv").frame
    assert from_parquet.columns == from_csv.columns == ["patient_pseudonym", "bmi", "glucose", "ward"]
    assert from_parquet.drop("patient_pseudonym").equals(from_csv.drop("patient_pseudonym"))


def test_too_many_implausible_rows_refuse_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("patient_id,bmi\np1,25\np2,900\np3,27\n")
    with pytest.raises(
        SourceError, match=r"1 of 3 rows are invalid .*line 3 bmi: outside the plausible range"
    ):
        load(path)
    assert load(path, max_invalid_share=0.5).rows == 2


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("bmi,glucose\n25,90\n", "Missing required column 'patient_id'"),
        ("", "empty"),
    ],
)
def test_unusable_files_are_refused_with_the_reason(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "data.csv"
    path.write_text(content)
    with pytest.raises(SourceError, match=problem):
        load(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no data file"):
        load(tmp_path / "nowhere.csv")
