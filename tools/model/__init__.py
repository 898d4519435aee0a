"""CLIP model tooling: tokens, download, export, evaluate (``python -m tools.model``)."""
