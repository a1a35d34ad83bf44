"""What a hospital's staff does in the dashboard, step by step, with the locators a person would use
(roles, labels, headings); and the exchange's mail folder, where the embedded default delivers codes."""

from __future__ import annotations

import email
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from email import policy
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

MAIL_SECONDS = 15


@dataclass
class Hospital:
    name: str
    full_name: str
    email: str
    password: str
    location: str
    csv: Path


def shot(page: Page, directory: Path, name: str) -> Path:
    path = directory / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


@contextmanager
def shots_on_failure(directory: Path, pages: dict[str, Page]) -> Iterator[None]:
    """When a step fails, keep what each browser showed at that moment beside the other screenshots."""
    try:
        yield
    except BaseException:
        for name, page in pages.items():
            with suppress(Exception):
                shot(page, directory, f"failure-{name}")
        raise


def mailed_code(mail_dir: Path, to: str) -> str:
    """The code of the newest message to `to` in the exchange's mail folder (no SMTP server configured)."""
    deadline = time.monotonic() + MAIL_SECONDS
    while time.monotonic() < deadline:
        found = []
        for path in mail_dir.glob("*.eml") if mail_dir.is_dir() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] == to:
                found.append((path.stat().st_mtime_ns, message.get_body(("plain",)).get_content()))
        if found:
            match = re.search(r"Your code: (\d{6})", max(found)[1])
            assert match, max(found)[1]
            return match.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no mail to {to} in {mail_dir} within {MAIL_SECONDS} s")


def register(page: Page, base: str, hospital: Hospital) -> None:
    page.goto(f"{base}/register/")
    expect(page.get_by_role("heading", name="Register your organization")).to_be_visible()
    page.get_by_label("Organization name").fill(hospital.name)
    page.get_by_role("combobox", name="Type", exact=True).select_option("hospital")
    page.get_by_label("Location").fill(hospital.location)
    page.get_by_label("Contact phone").fill("+41 31 000 00 00")
    page.get_by_label("Your full name").fill(hospital.full_name)
    page.get_by_label("Work email address").fill(hospital.email)
    page.get_by_label(re.compile(r"^Password")).fill(hospital.password)
    page.get_by_label("Repeat the password").fill(hospital.password)
    page.get_by_label("I accept the privacy policy").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()


def verify_email(page: Page, mail_dir: Path, hospital: Hospital) -> None:
    expect(page.get_by_label("Email address")).to_have_value(hospital.email)
    page.get_by_label("Verification code").fill(mailed_code(mail_dir, hospital.email))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("heading", name="Email address verified")).to_be_visible()
    page.get_by_role("link", name="Continue to sign in").click()


def sign_in(page: Page, hospital: Hospital) -> None:
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email address").fill(hospital.email)
    page.get_by_label("Password").fill(hospital.password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name=f"Welcome, {hospital.full_name}")).to_be_visible()


def navigate(page: Page, label: str, heading: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=label, exact=True).click()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()


def definition(scope: Page | Locator, term: str) -> Locator:
    """The value (dd) beside a term (dt) of a description list."""
    exact = re.compile(rf"^\s*{re.escape(term)}\s*$")
    return scope.get_by_role("term").filter(has_text=exact).locator("xpath=following-sibling::dd[1]")


def upload(page: Page, hospital: Hospital, dataset_name: str, rows: int) -> None:
    """Upload the hospital's CSV as a blood test panel and check the validation report shown."""
    navigate(page, "Upload data", "Upload data")
    page.get_by_label("Category").select_option("blood_test")
    page.get_by_label("CSV file").set_input_files(hospital.csv)
    page.get_by_label("Name", exact=True).fill(dataset_name)
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", name="Upload complete")).to_be_visible(timeout=30_000)
    expect(definition(page, "Rows read")).to_have_text(f"{rows:,}")
    expect(definition(page, "Rows accepted")).to_have_text(f"{rows:,}")
    expect(definition(page, "Rows rejected")).to_have_text("0")


def open_uploaded_dataset(page: Page, dataset_name: str) -> None:
    page.get_by_role("link", name="Open the dataset").click()
    expect(page.get_by_role("heading", name=dataset_name, exact=True)).to_be_visible()
