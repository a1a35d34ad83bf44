from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import StreamingResponse

from hdx.auth.dependencies import Permit, SettingsDep
from hdx.auth.models import User
from hdx.auth.permissions import Action
from hdx.datasets import service, vault
from hdx.datasets.catalog import Category
from hdx.datasets.receive import OPENAPI_BODY, receive_upload
from hdx.datasets.schemas import (
    CatalogCategory,
    DatasetDetail,
    DatasetOut,
    OptOutCheck,
    OptOutIn,
    OptOutOut,
    OptOutWithdrawal,
    Profile,
)
from hdx.db import SessionDep
from hdx.exceptions import HdxError
from hdx.kit.pagination import Page, PageDep

router = APIRouter(tags=["datasets"])

Uploader = Annotated[User, Permit(Action.dataset_upload)]
Reader = Annotated[User, Permit(Action.dataset_read)]
Exporter = Annotated[User, Permit(Action.dataset_export)]
Deleter = Annotated[User, Permit(Action.dataset_delete)]
OptOutManager = Annotated[User, Permit(Action.optout_manage)]


@router.post(
    "/upload",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a CSV: validated, pseudonymized and stored encrypted",
    openapi_extra=OPENAPI_BODY,
    responses={413: {"description": "File above the upload limit"}, 415: {"description": "Not a CSV"}},
)
async def upload(request: Request, session: SessionDep, settings: SettingsDep, user: Uploader) -> DatasetOut:
    try:
        async with receive_upload(request, vault.upload_dir(settings), settings.max_upload_bytes) as received:
            dataset = await service.upload(session, settings, user, received)
    except HdxError as exc:
        service.record_refused_upload(session, user, exc)
        raise
    return DatasetOut.model_validate(dataset)


@router.get("/uploads", summary="Datasets of your organization")
async def list_uploads(
    session: SessionDep,
    user: Reader,
    page: PageDep,
    category: Annotated[Category | None, Query(description="Only this category")] = None,
) -> Page[DatasetOut]:
    items, total = await service.list_datasets(
        session, user, category=category, offset=page.offset, limit=page.size
    )
    return Page(
        items=[DatasetOut.model_validate(item) for item in items], total=total, page=page.page, size=page.size
    )


@router.get("/uploads/{dataset_id}", summary="A dataset: metadata, validation report and profile")
async def get_upload(
    dataset_id: str, session: SessionDep, settings: SettingsDep, user: Reader
) -> DatasetDetail:
    described = await service.describe(session, settings, user, dataset_id)
    base = DatasetOut.model_validate(described.dataset)
    return DatasetDetail(**base.model_dump(), profile=Profile.model_validate(described.profile))


@router.get(
    "/uploads/{dataset_id}/export",
    summary="Download a dataset as CSV (pseudonyms, opted-out patients excluded, formulas neutralized)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_upload(
    dataset_id: str, session: SessionDep, settings: SettingsDep, user: Exporter
) -> StreamingResponse:
    filename, body = await service.export_csv(session, settings, user, dataset_id)
    return StreamingResponse(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.delete(
    "/uploads/{dataset_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a dataset by destroying its key (crypto-shredding)",
)
async def delete_upload(dataset_id: str, session: SessionDep, settings: SettingsDep, user: Deleter) -> None:
    await service.delete(session, settings, user, dataset_id)


@router.get("/datasets/catalog", summary="Categories and their columns (LOINC code, unit, plausible range)")
async def get_catalog(user: Reader) -> list[CatalogCategory]:
    return service.catalog_entries()


@router.post("/datasets/opt-outs", summary="Record patients who object to any use of their data")
async def record_opt_outs(
    body: OptOutIn, session: SessionDep, settings: SettingsDep, user: OptOutManager
) -> OptOutOut:
    return await service.record_opt_outs(session, settings, user, body.patient_ids)


@router.post("/datasets/opt-outs/check", summary="Which of these patients objected to any use of their data")
async def check_opt_outs(
    body: OptOutIn, session: SessionDep, settings: SettingsDep, user: OptOutManager
) -> OptOutCheck:
    return await service.check_opt_outs(session, settings, user, body.patient_ids)


@router.post("/datasets/opt-outs/withdraw", summary="Withdraw patients' objections: their rows count again")
async def withdraw_opt_outs(
    body: OptOutIn, session: SessionDep, settings: SettingsDep, user: OptOutManager
) -> OptOutWithdrawal:
    return await service.withdraw_opt_outs(session, settings, user, body.patient_ids)
