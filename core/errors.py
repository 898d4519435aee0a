"""The one base class of errors meant for the person using the app.

Pages catch ``UserError`` and show ``str(exc)``: a whole sentence that says what happened
and, where it can, what to do. Anything else is a bug, logged, never shown as a traceback.
"""

from __future__ import annotations

from core.i18n import _


class UserError(Exception):
    """A refusal or a problem a user caused or met; ``str(exc)`` is the sentence to show."""


class FieldErrors(UserError):
    """A form with fields to fix: ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str], summary: str | None = None):
        super().__init__(summary if summary is not None else _("Some fields need your attention."))
        self.errors = dict(errors)


class BlockedError(UserError):
    """A step between two members one of whom blocked the other (``core.moderation.blocks``):
    no messages, offers, answers or purchases between them, either way."""

    def __init__(self) -> None:
        super().__init__(_("You cannot do this: one of you has blocked the other."))
