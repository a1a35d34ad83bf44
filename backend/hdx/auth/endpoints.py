"""Identity endpoints: paths and bodies follow the original product's API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Request, Response, status

from hdx.auth import service, sessions, totp
from hdx.auth.bodies import form_or_json, read_body
from hdx.auth.dependencies import Permit, SettingsDep
from hdx.auth.emails import check_email
from hdx.auth.models import OtpPurpose, User
from hdx.auth.permissions import Action
from hdx.auth.schemas import (
    ChangePasswordRequest,
    EmailCheckRequest,
    EmailCheckResponse,
    EmailRequest,
    LoginRequest,
    MessageResponse,
    OrganizationSummary,
    ProfileUpdate,
    RefreshRequest,
    RegisterRequest,
    RegisterResponse,
    ResetPasswordRequest,
    ResetTokenResponse,
    SendOtpRequest,
    TokenResponse,
    TotpCodeRequest,
    TotpDisableRequest,
    TotpSetupResponse,
    UserOut,
    VerifyOtpRequest,
)
from hdx.db import SessionDep
from hdx.exceptions import BadRequest
from hdx.kit.mail import Mailer
from hdx.kit.ratelimit import limit, limit_account

router = APIRouter(tags=["auth"])

REFRESH_COOKIE = "hdx_refresh"
# Browsers send the refresh cookie to these two endpoints only, never with ordinary API calls.
REFRESH_COOKIE_PATHS = ("/refresh-token", "/logout")
CODE_SENT = "If an account needs it, a code has been mailed to this address"


def _mailer(request: Request) -> Mailer:
    mailer: Mailer = request.app.state.mailer
    return mailer


MailerDep = Annotated[Mailer, Depends(_mailer)]
RefreshCookie = Annotated[str | None, Cookie(alias=REFRESH_COOKIE, include_in_schema=False)]


def _set_refresh_cookie(response: Response, issued: sessions.IssuedTokens) -> None:
    for path in REFRESH_COOKIE_PATHS:
        response.set_cookie(
            REFRESH_COOKIE,
            issued.refresh_token,
            max_age=issued.refresh_expires_in,
            path=path,
            httponly=True,
            secure=True,
            samesite="strict",
        )


def _clear_refresh_cookie(response: Response) -> None:
    for path in REFRESH_COOKIE_PATHS:
        response.delete_cookie(REFRESH_COOKIE, path=path, httponly=True, secure=True, samesite="strict")


def _tokens(issued: sessions.IssuedTokens) -> TokenResponse:
    return TokenResponse(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.access_expires_in,
        refresh_expires_in=issued.refresh_expires_in,
    )


async def _body_or_cookie(request: Request, cookie: str | None) -> str:
    raw: str | None = None
    if await request.body():
        raw = (await read_body(request, RefreshRequest)).refresh_token
    raw = raw or cookie
    if not raw:
        raise BadRequest("Send the refresh token in the body ('refresh_token') or sign in again")
    return raw


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=RegisterResponse,
    openapi_extra=form_or_json(RegisterRequest),
    # Registering mails a verification code, so it counts in the same per-address window as
    # /send-otp and /verify-otp: alternating the three cannot send more code mails. The window
    # (5/minute by default) leaves room to register and then verify. No per-account count: a
    # second registration of one address is refused (409) before any mail is sent.
    dependencies=[Depends(limit("otp"))],
)
async def register(request: Request, session: SessionDep, mailer: MailerDep) -> RegisterResponse:
    """Register an organization and its first user (its administrator); mails an email verification code."""
    data = await read_body(request, RegisterRequest)
    organization, user = await service.register(session, mailer, data)
    return RegisterResponse(
        message="Registered. Enter the code mailed to you with POST /verify-otp, then sign in.",
        organization=OrganizationSummary.model_validate(organization),
        user=await service.user_out(session, user),
    )


@router.post(
    "/login",
    response_model=TokenResponse,
    openapi_extra=form_or_json(LoginRequest),
    dependencies=[Depends(limit("login"))],
)
async def login(
    request: Request, response: Response, session: SessionDep, settings: SettingsDep
) -> TokenResponse:
    """Sign in with email and password (OAuth2 password form with `username`, or JSON with `email`)."""
    data = await read_body(request, LoginRequest)
    await limit_account(request, "login", data.email)
    _, issued = await service.login(
        session, settings, email=data.email, password=data.password, totp_code=data.totp_code
    )
    _set_refresh_cookie(response, issued)
    return _tokens(issued)


@router.post(
    "/refresh-token",
    response_model=TokenResponse,
    openapi_extra=form_or_json(RefreshRequest),
)
async def refresh_token(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    cookie: RefreshCookie = None,
) -> TokenResponse:
    """Trade a refresh token for a new access token and the next refresh token (rotation)."""
    raw = await _body_or_cookie(request, cookie)
    _, issued = await sessions.rotate(session, settings, raw)
    _set_refresh_cookie(response, issued)
    return _tokens(issued)


@router.post("/logout", response_model=MessageResponse, openapi_extra=form_or_json(RefreshRequest))
async def logout(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    cookie: RefreshCookie = None,
) -> MessageResponse:
    """End this sign-in: its refresh tokens stop working and the cookie is removed."""
    raw = await _body_or_cookie(request, cookie)
    await sessions.end(session, settings, raw)
    _clear_refresh_cookie(response)
    return MessageResponse(message="Signed out")


@router.get("/me", response_model=UserOut)
async def me(session: SessionDep, user: Annotated[User, Permit(Action.profile_read)]) -> UserOut:
    return await service.user_out(session, user)


@router.put("/update-profile", response_model=UserOut, openapi_extra=form_or_json(ProfileUpdate))
async def update_profile(
    request: Request, session: SessionDep, user: Annotated[User, Permit(Action.profile_update)]
) -> UserOut:
    """Change your own name or phone (form or JSON). Role, organization and email are not editable here."""
    data = await read_body(request, ProfileUpdate)
    await service.update_profile(
        session, user, full_name=data.full_name, phone=data.phone, fields=data.model_fields_set
    )
    return await service.user_out(session, user)


@router.post("/change-password", response_model=MessageResponse)
async def change_password(
    data: ChangePasswordRequest, session: SessionDep, user: Annotated[User, Permit(Action.profile_update)]
) -> MessageResponse:
    """Change your password; every session of the account ends, so sign in again afterwards."""
    await service.change_password(session, user, current=data.current_password, new=data.new_password)
    return MessageResponse(message="Password changed. All sessions were signed out; sign in again.")


@router.post(
    "/send-otp",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MessageResponse,
    dependencies=[Depends(limit("otp"))],
)
async def send_otp(
    request: Request, data: SendOtpRequest, session: SessionDep, mailer: MailerDep
) -> MessageResponse:
    """Mail a one-time code (email verification by default). The answer never says whether the account exists."""
    await limit_account(request, "otp", data.email)
    await service.send_code(session, mailer, email=data.email, purpose=OtpPurpose(data.purpose))
    return MessageResponse(message=CODE_SENT)


@router.post("/verify-otp", response_model=MessageResponse, dependencies=[Depends(limit("otp"))])
async def verify_otp(
    request: Request, data: VerifyOtpRequest, session: SessionDep, settings: SettingsDep
) -> MessageResponse:
    """Confirm an email address with the code mailed to it."""
    await limit_account(request, "otp", data.email)
    await service.verify_email(session, settings, email=data.email, code=data.code)
    return MessageResponse(message="Email address verified; you can sign in")


@router.post("/verify-email", response_model=EmailCheckResponse)
async def verify_email(data: EmailCheckRequest) -> EmailCheckResponse:
    """Check the form of an address without sending mail: syntax, a deliverable form, and disposable
    providers. It verifies no account: that is POST /verify-otp with the mailed code."""
    check = check_email(data.email)
    return EmailCheckResponse(valid=check.valid, reasons=check.reasons, normalized=check.normalized)


@router.post(
    "/forgot-password",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MessageResponse,
    dependencies=[Depends(limit("password_reset"))],
)
async def forgot_password(
    request: Request, data: EmailRequest, session: SessionDep, mailer: MailerDep
) -> MessageResponse:
    """Mail a password reset code. The answer is the same whether or not the account exists."""
    await limit_account(request, "password_reset", data.email)
    await service.request_password_reset(session, mailer, email=data.email)
    return MessageResponse(message=CODE_SENT)


@router.post(
    "/verify-reset-otp", response_model=ResetTokenResponse, dependencies=[Depends(limit("password_reset"))]
)
async def verify_reset_otp(
    request: Request, data: VerifyOtpRequest, session: SessionDep, settings: SettingsDep
) -> ResetTokenResponse:
    """Trade the mailed reset code for a short-lived, single-use reset token."""
    await limit_account(request, "password_reset", data.email)
    token, expires_in = await service.reset_token_for_code(
        session, settings, email=data.email, code=data.code
    )
    return ResetTokenResponse(reset_token=token, expires_in=expires_in)


@router.post(
    "/reset-password", response_model=MessageResponse, dependencies=[Depends(limit("password_reset"))]
)
async def reset_password(
    data: ResetPasswordRequest, session: SessionDep, settings: SettingsDep
) -> MessageResponse:
    """Set a new password with a reset token (or the mailed code); every session of the account ends."""
    await service.reset_password(
        session,
        settings,
        new_password=data.new_password,
        reset_token=data.reset_token,
        email=data.email,
        code=data.code,
    )
    return MessageResponse(message="Password reset; sign in with the new password")


@router.post("/auth/totp/setup", response_model=TotpSetupResponse)
async def totp_setup(
    session: SessionDep, settings: SettingsDep, user: Annotated[User, Permit(Action.profile_update)]
) -> TotpSetupResponse:
    """Start two-factor enrolment: add the secret to an authenticator app, then confirm with /enable."""
    enrolment = await totp.setup(session, settings, user)
    return TotpSetupResponse(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri)


@router.post("/auth/totp/enable", response_model=MessageResponse)
async def totp_enable(
    data: TotpCodeRequest,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, Permit(Action.profile_update)],
) -> MessageResponse:
    await totp.enable(session, settings, user, data.code)
    return MessageResponse(message="Two-factor authentication is on; sign-ins now need a code")


@router.post("/auth/totp/disable", response_model=MessageResponse)
async def totp_disable(
    data: TotpDisableRequest,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, Permit(Action.profile_update)],
) -> MessageResponse:
    await totp.disable(session, settings, user, password=data.password, code=data.code)
    return MessageResponse(message="Two-factor authentication is off")
