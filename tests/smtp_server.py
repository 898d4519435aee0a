"""A real SMTP server in the test process (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.app_server import free_port

LINK_RE = re.compile(r"https?://\S+/reset_password\?token=([A-Za-z0-9_-]+)")


@dataclass
class Inbox:
    """What the server received, as parsed messages, in order."""

    port: int = 0
    messages: list[EmailMessage] = field(default_factory=list)
    delay: float = 0.0  # seconds the server takes to accept a message (a slow server)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 30) -> EmailMessage:
        """The ``count``-th message to ``address``, once it arrived."""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count:
            assert time.monotonic() < deadline, f"no e-mail #{count} to {address}"
            time.sleep(0.05)
        return self.to(address)[count - 1]


def link_of(message: EmailMessage) -> tuple[str, str]:
    """The reset link in a message's text, and its token."""
    found = LINK_RE.search(message.get_content())
    assert found, message.get_content()
    return found.group(0), found.group(1)


@contextmanager
def smtp_server() -> Iterator[Inbox]:
    inbox = Inbox()
    inbox.port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
