"""Sending plain-text e-mails through the SMTP server of the settings (``SMTP_*``).

``send`` sends one e-mail now and raises ``MailError`` (logged, with a sentence a page
may show) for anything that goes wrong: refused connection, timeout, TLS, log-in, refused
recipient. ``send_later`` hands the e-mail to one background thread, so that whoever asks
for it does not wait for the server (nor learns, by the time it takes, whether it was sent).
"""

from __future__ import annotations

import logging
import queue
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from core.config import MailSettings

TIMEOUT_SECONDS = 20
log = logging.getLogger(__name__)


class MailError(Exception):
    """An e-mail that could not be sent; ``str(exc)`` says why, without a traceback."""


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


def build_message(settings: MailSettings, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(settings.sender)[1].rpartition("@")[2]  # "Shop <a@b.c>": b.c
    message["Message-ID"] = make_msgid(domain=domain or None)
    message.set_content(mail.body)  # text/plain, utf-8
    return message


def send(settings: MailSettings, mail: Mail) -> None:
    """Send ``mail`` now through the configured server, or raise MailError."""
    message = build_message(settings, mail)
    try:
        if settings.tls == "ssl":
            context = ssl.create_default_context()
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=TIMEOUT_SECONDS, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
        with client:
            if settings.tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.user:
                client.login(settings.user, settings.password or "")
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:  # timeouts and TLS errors are OSErrors
        log.error(
            "e-mail to %s not sent via %s:%s (%s): %s",
            mail.to,
            settings.host,
            settings.port,
            type(exc).__name__,
            exc,
        )
        raise MailError(
            f"the e-mail could not be sent through {settings.host}:{settings.port} "
            f"({type(exc).__name__}: {exc})"
        ) from exc


# --- in the background ----------------------------------------------------------------------

_queue: queue.Queue[tuple[MailSettings, Mail]] = queue.Queue()
_worker: threading.Thread | None = None
_worker_lock = threading.Lock()


def _work() -> None:
    while True:
        settings, mail = _queue.get()
        try:
            send(settings, mail)
        except MailError:
            pass  # logged by send(); the person who asked was answered already
        except Exception:  # never let one bad e-mail stop the ones after it
            log.exception("e-mail to %s not sent", mail.to)
        finally:
            _queue.task_done()


def send_later(settings: MailSettings, mail: Mail) -> None:
    """Queue ``mail`` for the background sender (one thread per process, started on first
    use); errors are logged there."""
    global _worker
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="mail-sender", daemon=True)
            _worker.start()
    _queue.put((settings, mail))


def wait_until_sent() -> None:
    """Block until every queued e-mail was tried (tests, and commands before they exit)."""
    _queue.join()
