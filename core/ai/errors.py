"""Why a model directory cannot be used: one sentence each, for the page."""

from __future__ import annotations

from core.errors import UserError


class ModelError(UserError):
    """The model files cannot be used; the message is one sentence for the user."""


class ModelMissingError(ModelError):
    """There is no model in the model directory (nothing downloaded or exported yet)."""


class ModelDownloadError(ModelError):
    """The model could not be downloaded; the message is one sentence for the user."""
