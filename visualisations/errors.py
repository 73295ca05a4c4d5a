"""The one error of the figures, pages and exports: a figure could not be made from what was asked."""

from __future__ import annotations

from graph.errors import CCBError


class VizError(CCBError):
    """A figure could not be made from what was asked."""
