"""core.mail against a real SMTP server (aiosmtpd) in the test process."""

from __future__ import annotations

import logging

import pytest

from core.config import MailSettings
from core.mail import Mail, MailError, send, send_later, wait_until_sent
from tests.app_server import free_port
from tests.smtp_server import smtp_server


def settings(port: int) -> MailSettings:
    sender = "Seconde Main <shop@ex.com>"
    return MailSettings(host="127.0.0.1", port=port, tls="none", user=None, sender=sender)


def test_a_plain_text_e_mail_arrives_whole():
    with smtp_server() as inbox:
        send(settings(inbox.port), Mail("ann@example.com", "Réinitialisation", "Voilà : é ü €"))
        (message,) = inbox.messages
    assert (message["To"], message["From"], message["Subject"]) == (
        "ann@example.com", "Seconde Main <shop@ex.com>", "Réinitialisation",
    )  # fmt: skip
    assert message.get_content_type() == "text/plain"
    assert message.get_content().strip() == "Voilà : é ü €"
    assert message["Message-ID"].endswith("@ex.com>") and message["Date"]


def test_a_server_that_does_not_answer_is_a_clear_error(caplog):
    port = free_port()  # nothing listens there
    with caplog.at_level(logging.ERROR, "core.mail"), pytest.raises(MailError) as failed:
        send(settings(port), Mail("ann@example.com", "s", "b"))
    assert f"127.0.0.1:{port}" in str(failed.value)
    assert "ann@example.com" in caplog.text  # logged for the operator


def test_the_background_sender_survives_a_failure(caplog):
    with smtp_server() as inbox, caplog.at_level(logging.ERROR, "core.mail"):
        send_later(settings(free_port()), Mail("lost@example.com", "s", "b"))
        send_later(settings(inbox.port), Mail("ann@example.com", "s", "b"))
        wait_until_sent()
        assert [m["To"] for m in inbox.messages] == ["ann@example.com"]
    assert "lost@example.com" in caplog.text
