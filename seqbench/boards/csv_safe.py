"""CSV cells a spreadsheet shows as text, never runs as a formula (CSV injection).

A record's text fields (a model label, an error message, a knob's value) reach ``results.csv``
as they are; a spreadsheet that opens the file runs a cell starting with ``=``, ``+``, ``-``
or ``@`` (and, in some programs, a tab or a carriage return) as a formula. Following the
OWASP rule, such a text cell is written with a single quote in front, which the spreadsheet
shows as text. Numbers are left alone, so numeric columns stay numeric and a text cell that
is a plain number (``-0.5``) is not touched either.

>>> frame = pd.DataFrame({"model_label": ["=HYPERLINK(\\"http://x\\")", "lstm", "-1"], "score": [-0.5, 0.25, -1.0]})
>>> print(spreadsheet_safe(frame).to_csv(index=False).strip())
model_label,score
"'=HYPERLINK(""http://x"")",-0.5
lstm,0.25
-1,-1.0
"""

from __future__ import annotations

import numbers
import re
from typing import Any

import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """``value`` as a spreadsheet should read it: text that starts like a formula gets a leading ``'``.

    Numbers, booleans and missing values are returned unchanged, and so is text that is a plain
    decimal number; any other object is judged by the text the CSV writer would write for it.
    A carriage return inside text becomes a line feed (the CSV writer quotes those; a bare
    ``\\r`` would end the row for readers).

    >>> neutralise("=1+2"), neutralise("@SUM(A1)"), neutralise("-2+3"), neutralise("\\tx")
    ("'=1+2", "'@SUM(A1)", "'-2+3", "'\\tx")
    >>> neutralise("-12.5e3"), neutralise(-3), neutralise(None), neutralise("gru")
    ('-12.5e3', -3, None, 'gru')
    >>> neutralise("\\rcmd"), neutralise("a\\r\\nb")
    ("'\\ncmd", 'a\\nb')
    """
    if value is None or isinstance(value, (bool, numbers.Number)):
        return value
    text = value if isinstance(value, str) else str(value)
    if "\r" in text:  # a bare carriage return is not quoted by pandas' writer and would split the row
        value = text = text.replace("\r\n", "\n").replace("\r", "\n")
        if text.startswith("\n"):
            return "'" + text
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are :func:`neutralised <neutralise>`; numeric
    and boolean columns are kept as they are (same dtype, same values).

    >>> safe = spreadsheet_safe(pd.DataFrame({"+x": ["+cmd"], "n": [-1]}))
    >>> list(safe.columns), safe["'+x"].tolist(), safe["n"].tolist(), str(safe["n"].dtype)
    (["'+x", 'n'], ["'+cmd"], [-1], 'int64')
    """
    safe = frame.copy()
    for column in safe.columns:
        if not (pd.api.types.is_numeric_dtype(safe[column]) or pd.api.types.is_bool_dtype(safe[column])):
            safe[column] = safe[column].map(neutralise)
    safe.columns = [neutralise(c) if isinstance(c, str) else c for c in safe.columns]
    return safe
