"""Email address checks: syntax, a form that can receive mail, and throwaway providers."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from email_validator import EmailNotValidError, validate_email

# Top-level names reserved for documentation, testing or local networks (RFC 2606, 6761, 6762, 7686).
_RESERVED_TLDS = frozenset({"localhost", "local", "test", "invalid", "example", "onion", "internal", "arpa"})


@dataclass
class EmailCheck:
    valid: bool
    reasons: list[str] = field(default_factory=list)
    normalized: str | None = None


@cache
def disposable_domains() -> frozenset[str]:
    text = resources.files("hdx").joinpath("data", "disposable-domains.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def is_disposable(domain: str) -> bool:
    labels = domain.lower().rstrip(".").split(".")
    blocked = disposable_domains()
    return any(".".join(labels[i:]) in blocked for i in range(len(labels) - 1))


def check_email(address: str) -> EmailCheck:
    try:
        info = validate_email(
            address.strip(),
            check_deliverability=False,
            allow_domain_literal=True,
            globally_deliverable=False,
        )
    except EmailNotValidError as exc:
        return EmailCheck(False, [f"Not a valid email address: {exc}"])
    reasons = []
    domain = info.ascii_domain.lower()
    if getattr(info, "domain_address", None) is not None:
        reasons.append("The domain is an IP address literal; such addresses are not accepted")
    elif "." not in domain:
        reasons.append("The domain has no top-level domain (like .org or .com), so it cannot receive mail")
    else:
        tld = domain.rsplit(".", 1)[1]
        if tld.isdigit():
            reasons.append("The top-level domain is numeric, so the address cannot receive mail")
        elif tld in _RESERVED_TLDS:
            reasons.append(f"'.{tld}' is a reserved top-level domain that cannot receive internet mail")
    if getattr(info, "domain_address", None) is None and is_disposable(domain):
        reasons.append("The domain belongs to a disposable (throwaway) email provider")
    normalized = f"{info.local_part}@{domain}".lower()
    return EmailCheck(not reasons, reasons, normalized)
