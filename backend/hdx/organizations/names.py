"""Organization ids and names kept apart: computations name their parties by either, so a name must never
have the form of an id, or an organization could stand in for the one whose id its name copies."""

from __future__ import annotations

import uuid

ID_SHAPED_NAME = "an organization name cannot have the form of an organization id"


def canonical_id(reference: str) -> str | None:
    """The organization id `reference` writes, in the form ids are stored (any form of a UUID: upper
    case, without dashes, in braces, as a URN), or None when it is not shaped like an id."""
    try:
        return str(uuid.UUID(reference.strip()))
    except ValueError:
        return None


def name_problem(name: str) -> str | None:
    """Why `name` cannot be an organization's name, or None."""
    return ID_SHAPED_NAME if canonical_id(name) is not None else None
