"""Griffe extension: read the house docstring style as Google style.

The docstrings of ``theory`` and ``sims`` head their doctested example with ``Example:``
(singular); Google style spells the section ``Examples:``. Without this rename the example
would be rendered as prose, and doctest output such as ``['mask', 'verify']`` would be read as
Markdown link references.
"""

from __future__ import annotations

import re

import griffe

_EXAMPLE = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)


class HouseStyle(griffe.Extension):
    """Rename ``Example:`` sections to ``Examples:`` before the docstring is parsed."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _EXAMPLE.sub(r"\1Examples:", obj.docstring.value)
