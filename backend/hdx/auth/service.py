"""Accounts: registration, sign-in, profile, passwords, email verification and password recovery."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hdx.auth import otp, repository, sessions, tokens, totp
from hdx.auth.dependencies import actor_of
from hdx.auth.emails import check_email
from hdx.auth.models import OtpPurpose, Role, User
from hdx.auth.passwords import burn_verification, check_password_policy, hash_password, verify_password
from hdx.auth.schemas import OrganizationSummary, RegisterRequest, UserOut
from hdx.auth.sessions import IssuedTokens
from hdx.config import Settings
from hdx.db import utcnow
from hdx.exceptions import BadRequest, Conflict, Forbidden, Unauthorized, Unprocessable
from hdx.kit.mail import Mailer
from hdx.organizations import repository as organizations
from hdx.organizations.models import Organization
from hdx.security import audit

WRONG_CREDENTIALS = "Incorrect email or password"


class EmailNotVerified(Forbidden):
    error = "email_not_verified"


def _deliverable_email(address: str) -> str:
    check = check_email(address)
    if not check.valid or check.normalized is None:
        raise Unprocessable(
            "Email address is not accepted: " + "; ".join(check.reasons),
            detail=[{"field": "email", "message": reason} for reason in check.reasons],
        )
    return check.normalized


async def user_out(session: AsyncSession, user: User) -> UserOut:
    organization = (
        await organizations.organization(session, user.organization_id) if user.organization_id else None
    )
    return UserOut(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        phone=user.phone,
        role=user.role,
        organization_id=user.organization_id,
        email_verified=user.email_verified_at is not None,
        totp_enabled=user.totp_enabled_at is not None,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
        organization=OrganizationSummary.model_validate(organization) if organization else None,
    )


async def _add_user(session: AsyncSession, user: User) -> None:
    try:
        await repository.add(session, user)
    except IntegrityError as exc:
        # Two registrations racing for one address: the loser gets the same answer as a late one.
        raise Conflict("An account with this email already exists") from exc


async def register(session: AsyncSession, mailer: Mailer, data: RegisterRequest) -> tuple[Organization, User]:
    """Create an organization and its first user (org_admin), and mail the email verification code.

    `data` was validated whole (RegisterRequest): the address is deliverable and normalized, and the
    password meets the policy.
    """
    email = data.email
    if await organizations.organization_by_name(session, data.name) is not None:
        raise Conflict(f"An organization named '{data.name}' is already registered")
    if await repository.user_by_email(session, email) is not None:
        raise Conflict("An account with this email already exists")
    now = utcnow()
    organization = Organization(
        name=data.name,
        type=data.type,
        email=email,
        contact=data.contact,
        location=data.location,
        privacy_accepted_at=now,
    )
    try:
        await organizations.add_organization(session, organization)
    except IntegrityError as exc:
        raise Conflict(f"An organization named '{data.name}' is already registered") from exc
    user = User(
        organization_id=organization.id,
        email=email,
        full_name=data.full_name or "",
        role=Role.org_admin,
        password_hash=await hash_password(data.password),
    )
    await _add_user(session, user)
    audit.record(
        session,
        "auth.register",
        actor=actor_of(user),
        target_type="organization",
        target_id=organization.id,
        details={"organization_type": organization.type.value},
    )
    await otp.issue_code(
        session,
        mailer,
        email=email,
        purpose=OtpPurpose.verify_email,
        subject="Confirm your email address for HDX",
        intro=f"Welcome to HDX. To confirm the email address of {organization.name}'s administrator "
        "account, enter this code.",
    )
    return organization, user


def _login_failed(session: AsyncSession, email: str, reason: str, user: User | None = None) -> None:
    audit.record(
        session,
        "auth.login",
        outcome="failure",
        actor=actor_of(user) if user else audit.Actor(email=email),
        details={"reason": reason},
        persist_on_failure=True,
    )


async def login(
    session: AsyncSession, settings: Settings, *, email: str, password: str, totp_code: str | None
) -> tuple[User, IssuedTokens]:
    email = otp.normalize_email(email)
    user = await repository.user_by_email(session, email)
    if user is None:
        await burn_verification(password)
        _login_failed(session, email, "unknown_email")
        raise Unauthorized(WRONG_CREDENTIALS)
    if not await verify_password(password, user.password_hash):
        _login_failed(session, email, "wrong_password", user)
        raise Unauthorized(WRONG_CREDENTIALS)
    organization = (
        await organizations.organization(session, user.organization_id) if user.organization_id else None
    )
    if not user.active or (organization is not None and not organization.active):
        _login_failed(session, email, "inactive", user)
        raise Forbidden("This account is disabled; ask your organization's administrator")
    if user.email_verified_at is None:
        _login_failed(session, email, "email_not_verified", user)
        raise EmailNotVerified(
            "Email address not verified yet: enter the code we mailed you with POST /verify-otp "
            "(POST /send-otp mails a new one), then sign in again"
        )
    try:
        await totp.check_login_code(session, settings, user, totp_code)
    except Unauthorized as exc:
        _login_failed(session, email, "totp_reused" if isinstance(exc, totp.ReusedTotp) else exc.error, user)
        raise
    user.last_login_at = utcnow()
    issued = await sessions.start(session, settings, user)
    audit.record(session, "auth.login", actor=actor_of(user), target_type="user", target_id=user.id)
    return user, issued


async def update_profile(
    session: AsyncSession, user: User, *, full_name: str | None, phone: str | None, fields: set[str]
) -> None:
    if "full_name" in fields and full_name is not None:
        user.full_name = full_name
    if "phone" in fields:
        user.phone = phone or None
    await session.flush()
    audit.record(
        session,
        "auth.profile_update",
        actor=actor_of(user),
        target_type="user",
        target_id=user.id,
        details={"fields": sorted(fields)},
    )


async def _set_password(session: AsyncSession, user: User, new_password: str) -> None:
    user.password_hash = await hash_password(new_password)
    await sessions.end_all(session, user)


async def change_password(session: AsyncSession, user: User, *, current: str, new: str) -> None:
    if not await verify_password(current, user.password_hash):
        audit.record(
            session,
            "auth.password_change",
            outcome="failure",
            actor=actor_of(user),
            target_type="user",
            target_id=user.id,
            details={"reason": "wrong_current_password"},
            persist_on_failure=True,
        )
        raise BadRequest("The current password is not correct")
    check_password_policy(new, email=user.email, field="new_password")
    if new == current:
        message = "The new password must differ from the current one"
        raise Unprocessable(message, detail=[{"field": "new_password", "message": message}])
    await _set_password(session, user, new)
    audit.record(session, "auth.password_change", actor=actor_of(user), target_type="user", target_id=user.id)


async def send_code(session: AsyncSession, mailer: Mailer, *, email: str, purpose: OtpPurpose) -> None:
    """Mail a code when the account exists and needs it; callers answer the same either way."""
    if purpose is OtpPurpose.reset_password:
        await request_password_reset(session, mailer, email=email)
        return
    user = await repository.user_by_email(session, email)
    if user is None or not user.active or user.email_verified_at is not None:
        audit.record(
            session,
            "auth.otp_send",
            outcome="skipped",
            actor=audit.Actor(email=otp.normalize_email(email)),
            details={"purpose": purpose.value, "reason": "no_unverified_account"},
        )
        return
    await otp.issue_code(
        session,
        mailer,
        email=user.email,
        purpose=OtpPurpose.verify_email,
        subject="Confirm your email address for HDX",
        intro="To confirm your email address for HDX, enter this code.",
    )


async def verify_email(session: AsyncSession, settings: Settings, *, email: str, code: str) -> User:
    await otp.verify_code(session, settings, email=email, purpose=OtpPurpose.verify_email, code=code)
    user = await repository.user_by_email(session, email)
    if user is None:
        raise otp.InvalidCode("There is no account for this address")
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        await session.flush()
    audit.record(session, "auth.email_verified", actor=actor_of(user), target_type="user", target_id=user.id)
    return user


async def request_password_reset(session: AsyncSession, mailer: Mailer, *, email: str) -> None:
    user = await repository.user_by_email(session, email)
    if user is None or not user.active:
        audit.record(
            session,
            "auth.password_reset_request",
            outcome="skipped",
            actor=audit.Actor(email=otp.normalize_email(email)),
            details={"reason": "no_active_account"},
        )
        return
    await otp.issue_code(
        session,
        mailer,
        email=user.email,
        purpose=OtpPurpose.reset_password,
        subject="Reset your HDX password",
        intro="Someone (hopefully you) asked to reset the password of your HDX account. "
        "To choose a new password, enter this code.",
    )
    audit.record(
        session, "auth.password_reset_request", actor=actor_of(user), target_type="user", target_id=user.id
    )


async def reset_token_for_code(
    session: AsyncSession, settings: Settings, *, email: str, code: str
) -> tuple[str, int]:
    """Trade a reset code for a short-lived token; it stops working once any password is set."""
    await otp.verify_code(session, settings, email=email, purpose=OtpPurpose.reset_password, code=code)
    user = await repository.user_by_email(session, email)
    if user is None:
        raise otp.InvalidCode("There is no account for this address")
    lifetime = timedelta(minutes=settings.otp_ttl_minutes)
    token, _ = tokens.encode(
        settings,
        subject=user.id,
        token_type="password_reset",
        lifetime=lifetime,
        version=user.token_version,
    )
    return token, int(lifetime.total_seconds())


async def reset_password(
    session: AsyncSession,
    settings: Settings,
    *,
    new_password: str,
    reset_token: str | None = None,
    email: str | None = None,
    code: str | None = None,
) -> None:
    if reset_token is not None:
        claims = tokens.decode(settings, reset_token, "password_reset")
        user = await repository.user_by_id(session, claims.subject)
        if user is None or claims.version != user.token_version:
            raise Unauthorized("This reset token was already used or is no longer valid")
        check_password_policy(new_password, email=user.email, field="new_password")
    elif email is not None and code is not None:
        # Check the policy first so a refused password does not burn the code.
        check_password_policy(new_password, email=email, field="new_password")
        await otp.verify_code(session, settings, email=email, purpose=OtpPurpose.reset_password, code=code)
        found = await repository.user_by_email(session, email)
        if found is None:
            raise otp.InvalidCode("There is no account for this address")
        user = found
    else:
        raise BadRequest("Give either reset_token, or email and code")
    if not user.active:
        raise Forbidden("This account is disabled; ask your organization's administrator")
    # Receiving the code proved the address works.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    await _set_password(session, user, new_password)
    audit.record(session, "auth.password_reset", actor=actor_of(user), target_type="user", target_id=user.id)


async def create_platform_admin(session: AsyncSession, *, email: str, password: str, full_name: str) -> User:
    address = _deliverable_email(email)
    check_password_policy(password, email=address)
    if await repository.user_by_email(session, address) is not None:
        raise Conflict("An account with this email already exists")
    user = User(
        organization_id=None,
        email=address,
        full_name=full_name,
        role=Role.admin,
        password_hash=await hash_password(password),
        email_verified_at=utcnow(),
    )
    await _add_user(session, user)
    audit.record(
        session, "auth.admin_create", actor=audit.Actor(email=address), target_type="user", target_id=user.id
    )
    return user
