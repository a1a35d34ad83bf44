"""The one permission matrix: which role may perform which action.

Every endpoint names its action through `Permit(Action.x)`; the authorization test walks every route of
the OpenAPI spec against every role and checks the answers against this table.
Organization scoping (a user only ever sees their own organization's objects) is enforced separately,
in the repositories, for every role but the platform admin.
"""

from __future__ import annotations

import enum

from hdx.auth.models import Role


class Action(enum.StrEnum):
    # own account
    profile_read = "profile:read"
    profile_update = "profile:update"
    # organization administration
    org_read = "org:read"
    org_settings = "org:settings"
    users_read = "users:read"
    users_manage = "users:manage"
    api_keys_manage = "api_keys:manage"
    audit_read_org = "audit:read_org"
    # platform administration
    organizations_list_all = "organizations:list_all"
    audit_read_all = "audit:read_all"
    # datasets
    dataset_upload = "dataset:upload"
    dataset_read = "dataset:read"
    dataset_export = "dataset:export"
    dataset_delete = "dataset:delete"
    optout_manage = "optout:manage"
    # secure computations
    computation_create = "computation:create"
    computation_read = "computation:read"
    computation_respond = "computation:respond"
    computation_release = "computation:release"
    # agents (API keys)
    agent_act = "agent:act"


_STAFF_DATA = {
    Action.dataset_upload,
    Action.dataset_read,
    Action.dataset_export,
    Action.computation_create,
    Action.computation_read,
}
_ACCOUNT = {Action.profile_read, Action.profile_update, Action.org_read}

MATRIX: dict[Role, frozenset[Action]] = {
    Role.admin: frozenset(
        {*_ACCOUNT, Action.organizations_list_all, Action.audit_read_all, Action.audit_read_org}
    ),
    Role.org_admin: frozenset(
        {
            *_ACCOUNT,
            *_STAFF_DATA,
            Action.org_settings,
            Action.users_read,
            Action.users_manage,
            Action.api_keys_manage,
            Action.audit_read_org,
            Action.dataset_delete,
            Action.optout_manage,
            Action.computation_respond,
            Action.computation_release,
        }
    ),
    Role.doctor: frozenset({*_ACCOUNT, *_STAFF_DATA, Action.users_read}),
    Role.lab_technician: frozenset({*_ACCOUNT, *_STAFF_DATA}),
    Role.pharmacist: frozenset({*_ACCOUNT, *_STAFF_DATA}),
    # Patients see which computations used their organization's data; nothing else.
    Role.patient: frozenset({*_ACCOUNT, Action.computation_read}),
}


def allowed(role: Role, action: Action) -> bool:
    return action in MATRIX[role]
