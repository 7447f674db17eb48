"""Numbers no source may accept, generated: non-finite values and spellings that only Python's ``float()`` (or
nobody) reads as a number. One corpus for every source: CBS v4 and v3 (``cbs_responses``), Swing
(``ea_pipelines_tests/swing/test_numbers.py``) and every delivery type (``delivery_files``).

``TEXTS`` are sent as JSON strings (or typed into a cell); ``LITERALS`` are raw JSON tokens sent where a number
belongs (``NaN``, ``Infinity``, ``1e999``: the standard library's parser reads them as floats, ``true`` as a
boolean). Nothing here is computed by the code under test.
"""

from __future__ import annotations

import itertools

#: the words float() takes for NaN and infinity, in the cases and signs a server or a partner might write them
_WORDS = [f"{sign}{word}" for word, sign in itertools.product(
    ("nan", "NaN", "NAN", "inf", "Inf", "INF", "infinity", "Infinity", "INFINITY"), ("", "-", "+"))]
#: one sign of each kind for the HTTP cases (each costs a load): enough to show every spelling class
_WORD_SAMPLE = ["NaN", "-nan", "inf", "+Infinity", "-INF"]
#: spellings float() reads (or nearly), which are not numbers anywhere else
PYTHON_ONLY = ["1_0", "1_000.5", "0x10", "0o17", "0b101", "1e999", "-1E400", "1e-999", "１２", "١٢", "12.", ".5",
               " 1 2", "1.5.3", "1e", "--1", "0x1p3"]


def texts(sample: bool = False) -> list[str]:
    """Texts that are not numbers by the rule; ``sample``: the smaller set the HTTP cases use."""
    return (_WORD_SAMPLE if sample else _WORDS) + PYTHON_ONLY


#: raw JSON tokens where a number belongs -> how the refusal shows the value
LITERALS = {"NaN": "NaN", "Infinity": "Infinity", "-Infinity": "-Infinity", "1e999": "Infinity",
            "-1E400": "-Infinity", "true": "True"}

#: texts that are numbers by the rule, with their value (the rule refuses no more than it should)
PLAIN = {"12": 12.0, "-0.5": -0.5, "+3": 3.0, "007": 7.0, "1.25e3": 1250.0, "1E-2": 0.01, "0e999": 0.0, "-0": 0.0,
         " 4 ": 4.0}
