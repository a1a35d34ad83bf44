"""The schema catalog: what each dataset category may contain, with LOINC codes, units and plausible ranges.

Ranges are *plausibility* limits (values outside them are almost certainly entry or unit errors),
not clinical reference ranges. Column names in uploads are matched case-insensitively, with spaces,
dots and hyphens read as underscores, against each column's name and aliases.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field


class Kind(enum.StrEnum):
    identifier = "identifier"  # pseudonymized on ingest, never stored raw
    number = "number"
    integer = "integer"
    flag = "flag"  # 0/1 (also true/false, yes/no)
    category = "category"  # one of a fixed set of codes
    code = "code"  # a coded value checked against a pattern (ICD-10, ATC, LOINC)
    text = "text"
    datetime = "datetime"


class Category(enum.StrEnum):
    blood_test = "blood_test"
    vitals = "vitals"
    lab_results = "lab_results"
    medications = "medications"
    diagnoses = "diagnoses"
    custom = "custom"


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: Kind
    unit: str | None = None
    loinc: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    required: bool = False
    aliases: tuple[str, ...] = ()
    # category: accepted spellings (normalized to lower case) -> stored code
    codes: dict[str, str] = field(default_factory=dict)
    pattern: str | None = None
    max_length: int = 200

    def with_required(self, required: bool) -> Column:
        return Column(**{**self.__dict__, "required": required})


@dataclass(frozen=True)
class Schema:
    category: Category
    description: str
    columns: tuple[Column, ...]
    # Categories of measurements must contain at least one measurement column besides who and when.
    needs_measure: bool = False

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


PATIENT_ID = Column(
    "patient_id",
    "Patient identifier (replaced by a pseudonym on upload)",
    Kind.identifier,
    required=True,
    aliases=("patient", "patientid", "pid", "mrn", "medical_record_number", "subject_id", "person_id", "id"),
    max_length=128,
)
AGE = Column("age", "Age", Kind.integer, "a", "30525-0", 0, 120, aliases=("age_years", "patient_age"))
SEX = Column(
    "sex",
    "Sex (M, F or U; ISO 5218 codes 0/1/2/9 accepted)",
    Kind.category,
    aliases=("gender", "sex_at_birth"),
    codes={
        "m": "M",
        "male": "M",
        "1": "M",
        "f": "F",
        "female": "F",
        "2": "F",
        "u": "U",
        "unknown": "U",
        "other": "U",
        "x": "U",
        "0": "U",
        "9": "U",
    },
)
SYSTOLIC = Column(
    "systolic_bp",
    "Systolic blood pressure",
    Kind.number,
    "mm[Hg]",
    "8480-6",
    40,
    300,
    aliases=("systolic", "sbp", "bp_systolic", "sys_bp", "systolic_blood_pressure"),
)
DIASTOLIC = Column(
    "diastolic_bp",
    "Diastolic blood pressure",
    Kind.number,
    "mm[Hg]",
    "8462-4",
    20,
    200,
    aliases=("diastolic", "dbp", "bp_diastolic", "dia_bp", "diastolic_blood_pressure"),
)
HEART_RATE = Column(
    "heart_rate", "Heart rate", Kind.number, "/min", "8867-4", 20, 300, aliases=("hr", "pulse", "pulse_rate")
)
RESPIRATORY_RATE = Column(
    "respiratory_rate", "Respiratory rate", Kind.number, "/min", "9279-1", 4, 80, aliases=("rr", "resp_rate")
)
OXYGEN_SATURATION = Column(
    "oxygen_saturation",
    "Oxygen saturation (pulse oximetry)",
    Kind.number,
    "%",
    "59408-5",
    50,
    100,
    aliases=("spo2", "o2_sat", "sao2"),
)
TEMPERATURE = Column(
    "temperature",
    "Body temperature",
    Kind.number,
    "Cel",
    "8310-5",
    25,
    45,
    aliases=("temp", "body_temperature", "temperature_c"),
)
WEIGHT = Column(
    "weight",
    "Body weight",
    Kind.number,
    "kg",
    "29463-7",
    0.2,
    650,
    aliases=("weight_kg", "body_weight", "wt"),
)
HEIGHT = Column(
    "height", "Body height", Kind.number, "cm", "8302-2", 20, 280, aliases=("height_cm", "body_height", "ht")
)
BMI = Column("bmi", "Body mass index", Kind.number, "kg/m2", "39156-5", 8, 120, aliases=("body_mass_index",))
GLUCOSE = Column(
    "glucose",
    "Glucose",
    Kind.number,
    "mg/dL",
    "2345-7",
    10,
    2000,
    aliases=("blood_glucose", "glucose_mg_dl", "glu"),
)
HBA1C = Column(
    "hba1c",
    "Hemoglobin A1c",
    Kind.number,
    "%",
    "4548-4",
    2,
    25,
    aliases=("a1c", "hemoglobin_a1c", "glycated_hemoglobin"),
)
TOTAL_CHOLESTEROL = Column(
    "total_cholesterol",
    "Cholesterol, total",
    Kind.number,
    "mg/dL",
    "2093-3",
    40,
    1000,
    aliases=("cholesterol", "chol", "tc", "cholesterol_total"),
)
HDL = Column(
    "hdl_cholesterol", "HDL cholesterol", Kind.number, "mg/dL", "2085-9", 5, 200, aliases=("hdl", "hdl_c")
)
LDL = Column(
    "ldl_cholesterol",
    "LDL cholesterol (calculated)",
    Kind.number,
    "mg/dL",
    "13457-7",
    5,
    600,
    aliases=("ldl", "ldl_c"),
)
TRIGLYCERIDES = Column(
    "triglycerides", "Triglycerides", Kind.number, "mg/dL", "2571-8", 10, 5000, aliases=("tg", "trig")
)
HEMOGLOBIN = Column(
    "hemoglobin", "Hemoglobin", Kind.number, "g/dL", "718-7", 2, 25, aliases=("hgb", "hb", "haemoglobin")
)
CREATININE = Column(
    "creatinine",
    "Creatinine",
    Kind.number,
    "mg/dL",
    "2160-0",
    0.1,
    25,
    aliases=("creat", "serum_creatinine", "scr"),
)
EVENT_TIME = Column(
    "event_time",
    "Time to event or censoring, for survival analysis",
    Kind.number,
    "d",
    None,
    0,
    36_500,
    aliases=("time", "survival_time", "followup_days", "time_to_event", "duration"),
)
EVENT = Column(
    "event",
    "Event observed (1) or censored (0), for survival analysis",
    Kind.flag,
    aliases=("event_flag", "status", "event_observed", "dead", "death"),
)


def _when(name: str, label: str, *aliases: str) -> Column:
    return Column(name, label, Kind.datetime, aliases=aliases)


_DEMOGRAPHICS = (AGE, SEX)

SCHEMAS: dict[Category, Schema] = {
    schema.category: schema
    for schema in (
        Schema(
            Category.vitals,
            "Vital signs and body measurements, one row per observation",
            (
                PATIENT_ID,
                _when(
                    "measured_at", "Time of measurement", "timestamp", "datetime", "date", "observation_time"
                ),
                SYSTOLIC,
                DIASTOLIC,
                HEART_RATE,
                RESPIRATORY_RATE,
                OXYGEN_SATURATION,
                TEMPERATURE,
                WEIGHT,
                HEIGHT,
                BMI,
                *_DEMOGRAPHICS,
            ),
            needs_measure=True,
        ),
        Schema(
            Category.blood_test,
            "Blood chemistry panel, one row per sample",
            (
                PATIENT_ID,
                _when(
                    "sampled_at", "Time the sample was taken", "timestamp", "datetime", "date", "collected_at"
                ),
                GLUCOSE,
                HBA1C,
                TOTAL_CHOLESTEROL,
                HDL,
                LDL,
                TRIGLYCERIDES,
                HEMOGLOBIN,
                CREATININE,
                *_DEMOGRAPHICS,
            ),
            needs_measure=True,
        ),
        Schema(
            Category.lab_results,
            "Laboratory results in long form, one row per test; values of known LOINC codes are range-checked",
            (
                PATIENT_ID,
                Column(
                    "loinc_code",
                    "LOINC code of the test",
                    Kind.code,
                    required=True,
                    aliases=("loinc", "test_code", "code"),
                    pattern=r"^\d{1,7}-\d$",
                    max_length=10,
                ),
                Column(
                    "value", "Result value", Kind.number, required=True, aliases=("result", "result_value")
                ),
                Column("unit", "Unit of the value (UCUM)", Kind.text, aliases=("units",), max_length=40),
                _when("collected_at", "Time the specimen was collected", "timestamp", "datetime", "date"),
                *_DEMOGRAPHICS,
            ),
        ),
        Schema(
            Category.medications,
            "Medication orders or dispensings, one row per medication",
            (
                PATIENT_ID,
                Column(
                    "medication",
                    "Medication name",
                    Kind.text,
                    required=True,
                    aliases=("drug", "medication_name", "drug_name"),
                ),
                Column(
                    "atc_code",
                    "WHO ATC code",
                    Kind.code,
                    aliases=("atc",),
                    pattern=r"^[A-Z](\d{2}([A-Z]([A-Z](\d{2})?)?)?)?$",
                    max_length=7,
                ),
                Column("dose_mg", "Dose", Kind.number, "mg", None, 0, 100_000, aliases=("dose", "dosage_mg")),
                _when("started_at", "Start of the medication", "start_date", "start", "date"),
                _when("stopped_at", "End of the medication", "end_date", "stop_date", "end"),
                *_DEMOGRAPHICS,
            ),
        ),
        Schema(
            Category.diagnoses,
            "Diagnoses (ICD-10), with optional follow-up for survival analysis",
            (
                PATIENT_ID,
                Column(
                    "icd10_code",
                    "ICD-10 diagnosis code",
                    Kind.code,
                    required=True,
                    aliases=("icd10", "icd_10", "icd", "diagnosis_code", "dx_code"),
                    pattern=r"^[A-Z]\d{2}(\.?[0-9A-Z]{1,4})?$",
                    max_length=8,
                ),
                _when("diagnosed_at", "Date of diagnosis", "diagnosis_date", "date"),
                EVENT_TIME,
                EVENT,
                *_DEMOGRAPHICS,
            ),
        ),
        Schema(
            Category.custom,
            "Any table with a patient identifier: columns named like a catalog column are checked as that "
            "column; the type of the others (integer, number or text) is inferred from their values",
            (PATIENT_ID,),
        ),
    )
}

# Every catalog column a custom upload may use by name (the first definition of a name wins).
KNOWN_COLUMNS: dict[str, Column] = {}
for _schema in SCHEMAS.values():
    for _column in _schema.columns:
        KNOWN_COLUMNS.setdefault(_column.name, _column.with_required(_column is PATIENT_ID))

# Value ranges of lab results, by LOINC code.
RANGES_BY_LOINC: dict[str, tuple[float, float]] = {
    c.loinc: (c.minimum, c.maximum)
    for c in KNOWN_COLUMNS.values()
    if c.loinc is not None and c.minimum is not None and c.maximum is not None
}

_SEPARATORS = re.compile(r"[\s.\-/]+")


def normalize_name(raw: str) -> str:
    return _SEPARATORS.sub("_", raw.strip().lower()).strip("_")


def lookup(columns: tuple[Column, ...]) -> dict[str, Column]:
    """Normalized name or alias -> column. Aliases shared by two columns (e.g. 'date') map to the first."""
    found: dict[str, Column] = {}
    for column in columns:
        found.setdefault(column.name, column)
    for column in columns:
        for alias in column.aliases:
            found.setdefault(normalize_name(alias), column)
    return found
