"""Why a model directory cannot be used: one sentence each, for the page.

Four cases have their own class, so that the sell page and the command line tell them
apart and say what to do about each: nothing downloaded yet (``ModelMissingError``), a file
that does not match the manifest (``ModelDamagedError``, naming the file), a download that
stopped halfway (``ModelCutError``) and a Hub that cannot be reached
(``ModelUnreachableError``).

A message may be made lazily: ``ModelError(N_("The file {path} ..."), path=...)`` keeps the
English text and its values, and ``str(exc)`` translates it when it is read, into the
reader's language. The model is loaded in a background thread that has no session (so no
language of its own); its errors are read later, on a person's page.
"""

from __future__ import annotations

from core.errors import UserError
from core.i18n import _, format_number


class ModelError(UserError):
    """The model files cannot be used; the message is one sentence for the user.

    ``message`` is either a sentence already translated (``_("...").format(...)``) or, with
    ``params``, a template marked with ``N_()`` that ``str()`` translates and fills when read
    (integers are formatted for the reader's language: "1,234" or "1 234")."""

    def __init__(self, message: str, /, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def __str__(self) -> str:
        if not self.params:
            return _(self.message)  # a sentence translated when made: gettext leaves it as is
        values = {
            k: format_number(v) if isinstance(v, int) and not isinstance(v, bool) else v
            for k, v in self.params.items()
        }
        return _(self.message).format(**values)


class ModelMissingError(ModelError):
    """There is no model in the model directory (nothing downloaded or exported yet), or
    the part that a feature needs is not in it (no tokenizer: no text search)."""


class ModelDamagedError(ModelError):
    """A file of the model does not match the manifest (changed, cut short or gone), or the
    manifest itself cannot be read; ``file`` names it. A new download or export repairs it."""

    def __init__(self, message: str, /, *, file: str, **params: object) -> None:
        super().__init__(message, file=file, **params)
        self.file = file


class ModelCutError(ModelError):
    """A download (or export) stopped before the end: partial files and no manifest (the
    manifest is written last). Downloading again goes on where it stopped."""


class ModelDownloadError(ModelError):
    """The model could not be downloaded; the message is one sentence for the user."""


class ModelUnreachableError(ModelDownloadError):
    """The Hub (or its mirror) cannot be reached: no network, a wrong address, offline."""
