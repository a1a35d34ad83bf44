"""The secure computation pages as a person uses them: the new-computation wizard, the approvals inbox,
and the computation's own page, read the way a screen reader would (live region, labels, captions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from playwright.sync_api import Locator, Page, expect

from tests.e2e.dashboard import navigate

# Statuses as the page's badge names them; the last four are final.
STATUSES = [
    "Pending approval",
    "Awaiting release",
    "Running",
    "Draft",
    "Completed",
    "Failed",
    "Cancelled",
    "Expired",
]
SETTLED = set(STATUSES[4:])
POLL_MS = 100


@dataclass
class Proposal:
    title: str
    analysis: str
    variable: str
    lo: str | None = None
    hi: str | None = None
    bins: str | None = None


def fill_wizard(page: Page, proposal: Proposal, participant: str) -> None:
    """The new-computation wizard, filled but not sent: Shamir secret sharing with `participant` invited."""
    navigate(page, "Computations", "Secure computations")
    page.get_by_role("link", name="New computation").click()
    expect(page.get_by_role("heading", name="New secure computation")).to_be_visible()
    page.get_by_label("Title").fill(proposal.title)
    page.get_by_role("combobox", name="Analysis", exact=True).select_option(proposal.analysis)
    page.get_by_role("combobox", name="Variable", exact=True).select_option(proposal.variable)
    # Choosing the variable fills in the catalog's plausible range as the bounds.
    expect(page.get_by_label("Lower bound")).not_to_have_value("")
    if proposal.lo is not None:
        page.get_by_label("Lower bound").fill(proposal.lo)
    if proposal.hi is not None:
        page.get_by_label("Upper bound").fill(proposal.hi)
    if proposal.bins is not None:
        page.get_by_label("Number of bins").fill(proposal.bins)
    page.get_by_role("checkbox", name=participant).check()
    page.get_by_role("combobox", name="Protocol", exact=True).select_option("shamir")


def send_invitations(page: Page, title: str) -> str:
    """Send the wizard; returns the URL of the computation's page it opens."""
    page.get_by_role("button", name="Send invitations").click()
    page.wait_for_url(re.compile(r"/computations/view/\?id="))
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    return page.url


def accept_invitation(page: Page, title: str, dataset_label: str) -> None:
    # Loaded afresh: the inbox shows the invitations there were when the page opened.
    page.goto(urljoin(page.url, "/approvals/"))
    expect(page.get_by_role("heading", name="Approvals", exact=True)).to_be_visible()
    card = page.get_by_role("article", name=title)
    card.get_by_label("Contribute with").select_option(label=dataset_label)
    card.get_by_role("button", name="Accept", exact=True).click()
    expect(page.get_by_text(f"You accepted “{title}”.")).to_be_visible()


def status_shown(page: Page) -> str:
    """The computation's status as its page's live region announces it (the badge comes first)."""
    text = page.locator("[aria-live=polite]").first.inner_text().strip()
    return next((label for label in STATUSES if text.startswith(label)), text)


def wait_until_live(page: Page) -> None:
    """The page's live connection (its WebSocket) is up, so what follows reaches it as it happens."""
    expect(page.get_by_role("status").filter(has_text=re.compile(r"^\s*Live:"))).to_be_visible()


def watch_until_settled(page: Page, seconds: float) -> list[str]:
    """The statuses the open page shows, in order, until the computation settles; it must not reload."""
    page.evaluate("window.hdxWatched = true")
    seen: list[str] = []
    for _ in range(int(seconds * 1000 / POLL_MS)):
        status = status_shown(page)
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in SETTLED:
            break
        page.wait_for_timeout(POLL_MS)
    assert page.evaluate("window.hdxWatched === true"), "the page was reloaded instead of updating live"
    return seen


def result_region(page: Page) -> Locator:
    region = page.get_by_role("region", name="Result", exact=True)
    expect(region).to_be_visible()
    return region


def value_shown(region: Locator, label: str) -> str:
    """The released value beside its label (a list's term or a table's row header), as text."""
    name = region.get_by_text(re.compile(rf"^\s*{re.escape(label)}\s*$", re.IGNORECASE)).first
    return name.locator("xpath=following-sibling::*[1]").inner_text().strip()


def bins_shown(region: Locator) -> list[tuple[str, str]]:
    """(bin, records) of the table that carries the histogram chart's numbers."""
    table = region.get_by_role("table", name="Records per bin")
    rows = table.locator("tbody").get_by_role("row").all()
    return [
        (row.get_by_role("cell").nth(0).inner_text(), row.get_by_role("cell").nth(1).inner_text())
        for row in rows
    ]
