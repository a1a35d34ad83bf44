from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth.models import Role
from hdx.security.audit import chain_hash, verify_chain
from hdx.security.models import AuditEvent
from tests.conftest import MakeUser


async def _audited_requests(client: httpx.AsyncClient, make_user: MakeUser, count: int) -> None:
    admin = await make_user(Role.org_admin, org="North Clinic")
    responses = await asyncio.gather(
        *(
            client.post("/organizations/me/api-keys", headers=admin.headers, json={"name": f"agent {i}"})
            for i in range(count)
        )
    )
    assert [r.status_code for r in responses] == [201] * count


async def test_chain_stays_intact_under_concurrent_writes(
    client: httpx.AsyncClient, make_user: MakeUser, db: AsyncSession
) -> None:
    await _audited_requests(client, make_user, 20)
    report = await verify_chain(db)
    assert report.intact, report
    assert report.events == 20
    hashes = (await db.scalars(select(AuditEvent.prev_hash))).all()
    assert len(set(hashes)) == 20, "two events claim the same predecessor: the chain forked"


async def test_edited_details_are_detected_at_that_row(
    client: httpx.AsyncClient, make_user: MakeUser, db: AsyncSession
) -> None:
    await _audited_requests(client, make_user, 5)
    assert (await verify_chain(db)).intact
    seq = await db.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq).offset(2).limit(1))
    await db.execute(
        text("UPDATE audit_events SET details = :d WHERE seq = :s"), {"d": '{"name": "innocent"}', "s": seq}
    )
    await db.commit()
    report = await verify_chain(db)
    assert not report.intact
    assert report.first_bad_seq == seq
    assert report.reason is not None
    assert "edited" in report.reason


async def test_edited_outcome_is_detected(
    client: httpx.AsyncClient, make_user: MakeUser, db: AsyncSession
) -> None:
    await _audited_requests(client, make_user, 3)
    first = await db.scalar(select(func.min(AuditEvent.seq)))
    await db.execute(text("UPDATE audit_events SET outcome = 'failure' WHERE seq = :s"), {"s": first})
    await db.commit()
    report = await verify_chain(db)
    assert (report.intact, report.first_bad_seq) == (False, first)


async def test_rehashing_an_edited_row_breaks_the_next_link(
    client: httpx.AsyncClient, make_user: MakeUser, db: AsyncSession
) -> None:
    """Recomputing the edited row's own hash does not help: the next row still names the old one."""
    await _audited_requests(client, make_user, 3)
    rows = (await db.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all()
    middle = rows[1]
    middle.details = {"name": "forged"}
    middle.hash = chain_hash(middle.prev_hash, middle)
    await db.commit()
    report = await verify_chain(db)
    assert (report.intact, report.first_bad_seq) == (False, rows[2].seq)
    assert report.reason is not None
    assert "link" in report.reason


async def test_deleted_row_is_detected(
    client: httpx.AsyncClient, make_user: MakeUser, db: AsyncSession
) -> None:
    await _audited_requests(client, make_user, 5)
    seqs = (await db.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq))).all()
    await db.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": seqs[2]})
    await db.commit()
    report = await verify_chain(db)
    assert not report.intact
    assert report.first_bad_seq == seqs[3]
    assert report.reason is not None
    assert "removed" in report.reason


async def test_writers_and_audit_only_requests_append_concurrently_without_stalling(
    app: FastAPI, make_user: MakeUser
) -> None:
    """Half the transactions write before appending (on SQLite they already hold the write lock),
    half only append: neither kind may end up waiting for the other."""
    from hdx.security import audit

    admin = await make_user(Role.org_admin, org="North Clinic")

    async def one(i: int) -> None:
        async with app.state.sessionmaker() as session:
            if i % 2:
                await session.execute(
                    text("UPDATE organizations SET min_cohort_k = :k WHERE id = :id"),
                    {"k": 5 + i, "id": admin.organization_id},
                )
                await asyncio.sleep(0.01)
            audit.record(session, "test.concurrent_write", details={"i": i})
            await audit.commit_with_trail(session)

    await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(20))), timeout=20)
    async with app.state.sessionmaker() as session:
        report = await verify_chain(session)
        written = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "test.concurrent_write")
        )
    assert report.intact, report.reason
    assert written == 20
