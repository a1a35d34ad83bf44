"""Outgoing mail: SMTP (aiosmtplib) when configured, otherwise one .eml file per message in var/mail/."""

from __future__ import annotations

import logging
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib
import anyio

from hdx.config import Settings

logger = logging.getLogger("hdx.mail")


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _message(self, to: str, subject: str, body: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="hdx.local")
        message.set_content(body)
        return message

    async def send(self, to: str, subject: str, body: str) -> None:
        message = self._message(to, subject, body)
        s = self.settings
        if s.smtp_host:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                start_tls=s.smtp_starttls,
                timeout=15,
            )
            logger.info("mail sent over SMTP", extra={"mail_subject": subject})
            return
        directory = anyio.Path(s.mail_dir)
        await directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{uuid.uuid4().hex}.eml"
        await path.write_bytes(bytes(message))
        logger.info("mail written to file (no SMTP server configured)", extra={"mail_file": str(path)})
