from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Problem(BaseModel):
    line: int = Field(description="Line of the file (the header is line 1)")
    column: str
    reason: str


class ProblemCount(BaseModel):
    column: str
    reason: str
    rows: int


class ValidationReport(BaseModel):
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    blank_lines: int
    delimiter: str
    ignored_columns: list[str] = Field(
        description="Header names that are not in the category's schema; not stored"
    )
    problems: list[Problem] = Field(description="The first 100 rejected rows, each with its first problem")
    problem_counts: list[ProblemCount] = Field(description="Rejected rows per column and reason")


class StoredColumn(BaseModel):
    name: str
    label: str
    kind: str
    unit: str | None = None
    loinc: str | None = None


class DatasetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    description: str
    category: str
    original_filename: str
    version: int
    rows: int
    upload_bytes: int
    stored_bytes: int
    columns: list[StoredColumn]
    report: ValidationReport
    uploaded_by_user_id: str | None
    created_at: datetime


class ColumnProfile(BaseModel):
    name: str
    kind: str
    unit: str | None = None
    count: int
    missing: int
    min: Any = None
    max: Any = None
    mean: float | None = None
    distinct: int | None = None


class Profile(BaseModel):
    rows: int = Field(description="Rows available to analyses (patients who opted out are excluded)")
    columns: list[ColumnProfile]


class DatasetDetail(DatasetOut):
    profile: Profile


class CatalogColumn(BaseModel):
    name: str
    label: str
    kind: str
    unit: str | None
    loinc: str | None
    minimum: float | None
    maximum: float | None
    required: bool
    aliases: list[str]
    codes: list[str] | None = None
    pattern: str | None = None


class CatalogCategory(BaseModel):
    category: str
    description: str
    columns: list[CatalogColumn]


PatientId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


class OptOutIn(BaseModel):
    patient_ids: list[PatientId] = Field(min_length=1, max_length=10_000)


class OptOutOut(BaseModel):
    recorded: int = Field(description="Patients newly recorded as opted out")
    already_recorded: int
    total: int = Field(description="Opted-out patients of the organization")


class OptOutCheck(BaseModel):
    opted_out: list[str] = Field(
        description="The given identifiers recorded as opted out, in the order given"
    )
    not_opted_out: list[str]
    total: int = Field(description="Opted-out patients of the organization")


class OptOutWithdrawal(BaseModel):
    withdrawn: int = Field(description="Patients whose objection was withdrawn: their rows count again")
    not_recorded: int = Field(description="Given identifiers that had no objection recorded")
    total: int = Field(description="Opted-out patients of the organization")
