"""A progress bar for the command line."""

from __future__ import annotations

import sys


class TextBar:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, unit: str = "") -> None:
        self.label, self.unit, self._last = label, unit, -1.0

    def __call__(self, done: float, total: float) -> None:
        fraction = done / total if total else 1.0
        if fraction - self._last < 0.005 and done < total:
            return
        self._last = fraction
        filled = int(30 * fraction)
        if self.unit == "MB":
            amount = f"{done / 1e6:.1f}/{total / 1e6:.1f} MB"
        else:
            amount = f"{done:g}/{total:g}{self.unit}"
        sys.stderr.write(
            f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%} {amount}"
        )
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
