# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Plain text for the operator's screen: a table of rows (what debug prints
well) and a tool's error squeezed onto one short line of a message."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def table(rows, columns):
    """A plain text table, one string per line: the upper-cased column names,
    a rule, then one line per row (a mapping with every column)."""
    widths = [max([len(c)] + [len(str(r[c])) for r in rows]) for c in columns]

    def line(cells):
        return "  ".join(str(v).ljust(w) for v, w in zip(cells, widths)).rstrip()

    out = [line([c.upper() for c in columns]), line(["-" * w for w in widths])]
    out += [line([r[c] for c in columns]) for r in rows]
    return out


def one_line(text, limit):
    """``text`` with its white space folded to single spaces, cut to
    ``limit`` characters (ending in ``...`` when cut); None is empty."""
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
