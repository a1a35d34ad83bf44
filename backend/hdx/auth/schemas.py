"""Request and response bodies of the auth endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from hdx.auth.emails import check_email
from hdx.auth.models import OtpPurpose, Role
from hdx.auth.passwords import password_problems
from hdx.organizations.models import OrganizationType
from hdx.organizations.names import name_problem

# Long enough for any policy-conforming password; the policy itself reports the 12..128 rule clearly.
Password = Annotated[str, Field(min_length=1, max_length=1024)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{6}$")]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


class RegisterRequest(BaseModel):
    name: Text200 = Field(description="Organization name")
    email: Email = Field(description="Email of the organization's first administrator")
    contact: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=64)] = Field(
        description="Phone number or other contact"
    )
    type: Annotated[OrganizationType, BeforeValidator(_lower)] = Field(
        description="HOSPITAL, CLINIC, LABORATORY or PHARMACY (any case)"
    )
    location: Text200
    password: Password
    privacy_accepted: bool
    full_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None

    # Every field is checked here, the address and the password policy included, so that one answer
    # lists every problem of the body, each under its own field.

    @field_validator("name")
    @classmethod
    def _not_id_shaped(cls, value: str) -> str:
        # Computations name their parties by id or name: a name shaped like an id could take its place.
        problem = name_problem(value)
        if problem is not None:
            raise PydanticCustomError("organization_name_id_shaped", "{problem}", {"problem": problem})
        return value

    @field_validator("email")
    @classmethod
    def _deliverable(cls, value: str) -> str:
        check = check_email(value)
        if not check.valid or check.normalized is None:
            raise PydanticCustomError(
                "email_not_accepted",
                "Email address is not accepted: {reasons}",
                {"reasons": "; ".join(check.reasons)},
            )
        return check.normalized

    @field_validator("password")
    @classmethod
    def _policy(cls, value: str, info: ValidationInfo) -> str:
        # `email` comes first, so it is here when it was valid (the name-part rule needs it).
        problems = password_problems(value, email=info.data.get("email"))
        if problems:
            raise PydanticCustomError("password_policy", "{problems}", {"problems": "; ".join(problems)})
        return value

    @field_validator("privacy_accepted")
    @classmethod
    def _must_accept(cls, value: bool) -> bool:
        if not value:
            raise PydanticCustomError(
                "privacy_not_accepted", "The privacy policy must be accepted to register"
            )
        return value


class LoginRequest(BaseModel):
    email: Email = Field(validation_alias=AliasChoices("email", "username"))
    password: Password
    totp_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)] | None = None


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_expires_in: int = Field(description="Seconds until the refresh token expires unless used")


class RefreshRequest(BaseModel):
    refresh_token: str | None = Field(
        default=None, max_length=4096, description="Omit to use the HttpOnly cookie set at login"
    )


class OrganizationSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    type: OrganizationType


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    full_name: str
    phone: str | None
    role: Role
    organization_id: str | None
    email_verified: bool
    totp_enabled: bool
    created_at: datetime
    last_login_at: datetime | None
    organization: OrganizationSummary | None = None


class RegisterResponse(BaseModel):
    message: str
    organization: OrganizationSummary
    user: UserOut


class ProfileUpdate(BaseModel):
    # extra="forbid": role, organization_id, email and the like can never be set through this body.
    model_config = ConfigDict(extra="forbid")

    full_name: Text200 | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None


class ChangePasswordRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Password
    new_password: Password


class SendOtpRequest(BaseModel):
    email: Email
    purpose: Literal[OtpPurpose.verify_email, OtpPurpose.reset_password] = OtpPurpose.verify_email


class VerifyOtpRequest(BaseModel):
    email: Email
    code: Code


class EmailRequest(BaseModel):
    email: Email


class EmailCheckRequest(BaseModel):
    """POST /verify-email checks the form of an address; it never verifies an account."""

    email: Email
    # Not part of the body: a client sending a mailed code here means POST /verify-otp.
    code: SkipJsonSchema[Any] = None

    @field_validator("code")
    @classmethod
    def _no_code(cls, value: object) -> None:
        raise PydanticCustomError(
            "code_not_accepted",
            "POST /verify-email only checks the form of an address and verifies no account; "
            "to verify an account, send the address and the mailed code to POST /verify-otp",
        )


class EmailCheckResponse(BaseModel):
    valid: bool
    reasons: list[str]
    normalized: str | None


class ResetTokenResponse(BaseModel):
    reset_token: str
    expires_in: int


class ResetPasswordRequest(BaseModel):
    reset_token: str | None = Field(default=None, max_length=4096)
    email: Email | None = None
    code: Code | None = None
    new_password: Password

    @model_validator(mode="after")
    def _one_proof(self) -> ResetPasswordRequest:
        if self.reset_token is None and (self.email is None or self.code is None):
            raise ValueError("give either reset_token, or email and code")
        return self


class TotpSetupResponse(BaseModel):
    secret: str
    otpauth_uri: str


class TotpCodeRequest(BaseModel):
    code: Code


class TotpDisableRequest(BaseModel):
    password: Password
    code: Code


class MessageResponse(BaseModel):
    message: str
