"""The command line, ``python -m l1jax``: cross-validated lasso / elastic-net paths.

    python -m l1jax                        # the diabetes data (Efron et al. 2004), shipped inside
    python -m l1jax path FILE.csv --target COLUMN [--loss squared|logistic|poisson|multinomial]
                    [--grouped] [--l1-ratio R] [--cv K] [--plot OUT.png] [--out COEF.csv]
                    [--stability B [--threshold T]]
                    [--drop COL ...] [--sep CHAR] [--no-header] [--decimal ,] [--encoding E]
    python -m l1jax path FILE.csv --target COL1 COL2 ...   # a multi-task path of several targets
    python -m l1jax path - --target COLUMN ...  # the CSV table from standard input
    python -m l1jax path X.npz --target y.txt [--feature-names NAMES.txt] [--loss ... as above]
    python -m l1jax demo [--help]          # L1 subgradient vs L1 prox vs L2 weight decay

Bad input exits with status 1 (2 for bad options) and one line on stderr, never a traceback.
Progress goes to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import difflib
import functools
import io
import math
import os
import re
import shlex
import shutil
import sys
import threading
import time
import unicodedata
import warnings
import zipfile
from collections.abc import Sequence
from importlib import resources
from typing import NamedTuple

import numpy as np

from l1jax import _sparse
from l1jax._programs import CacheWarning
from l1jax.path import ConvergenceWarning, features_in

__all__ = ["Table", "read_csv", "read_npz", "load_diabetes", "main"]

DIABETES_PATH = "diabetes.csv"
STDIN = "-"  # FILE of ``path``: the CSV table read from standard input
PATH_PNG = "diabetes_path.png"
CV_PNG = "diabetes_cv.png"


class Table(NamedTuple):
    """Numeric data read from a CSV (or .npz) file: features, target and their names."""

    X: np.ndarray  # (n, p) float64; from a .npz file, the SciPy sparse matrix as loaded
    y: np.ndarray  # (n,)
    feature_names: list[str]
    target: str
    classes: list[str] | None = None  # for a recoded class target: the labels of 0, 1, ...
    notes: tuple[str, ...] = ()  # what the reader decided for the user (separator, index column)
    tasks: list[str] | None = None  # several target columns (y (n, m), multi-task): their names


class InputError(ValueError):
    """Bad input of the command line: printed as one line, exit status 1."""


# The cells read as missing values (pandas' default ``na_values``), compared in lower case.
_MISSING = frozenset(
    ["", "na", "nan", "-nan", "n/a", "#n/a", "#n/a n/a", "#na", "<na>", "null", "none",
     "-1.#ind", "1.#ind", "-1.#qnan", "1.#qnan"]
)  # fmt: skip
_SEPARATORS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "bars"}
_UNNAMED = re.compile(r"(Unnamed: \d+)?")  # pandas' name for a column without one


def _refuse_missing(cell: str, where: str, target: bool = False) -> None:
    text = cell.strip()
    if text.lower() in _MISSING:
        raise InputError(
            f"{where} is {'empty' if not text else f'missing ({text!r})'}: missing values are "
            "not supported; impute them, or leave out their rows"
            + ("" if target else " (or their column, --drop COL)")
        )


def _cell_float(text: str) -> float:
    """``float(text)`` of ASCII text without Python's digit-group underscores ("1_5" is 15 to
    it, "١٢٣" 123 and "1\xa0" 1: text to pandas and R)."""
    if "_" in text or not text.isascii():
        raise ValueError(text)
    return float(text)


_BOOLS = {"true": 1.0, "false": 0.0}  # (a feature column of these only, as pandas writes
# True/False and R TRUE/FALSE: 0/1, as the Python API reads a bool column)


def _bool_column(cells) -> bool:
    """A column of true/false cells (any case; missing ones aside, refused at their lines)."""
    kinds = [c.strip().lower() for c in cells]
    return any(k in _BOOLS for k in kinds) and all(k in _BOOLS or k in _MISSING for k in kinds)


def _number(cell: str, where: str, decimal: str = ".", target: bool = False) -> float:
    """A cell's number (``decimal`` its decimal mark); ``target``: the messages' words."""
    _refuse_missing(cell, where, target)
    text = cell.strip()
    if decimal == "," and "." in text and not _is_text(text.replace(".", "")):
        # ("1.5" read as 1.5 beside "42,291" read as 42.291; text such as "St. Louis" is text)
        raise InputError(f"{where} holds a '.' under --decimal , ({text[:40]!r}): if '.' "
                         "separates thousands, remove it from the file; if it is the decimal "
                         "mark, leave out --decimal ,")  # fmt: skip
    try:
        value = _cell_float(text.replace(",", ".") if decimal == "," else text)
    except ValueError:
        hint = ""
        thousands = re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", text)
        if decimal != "," and "," in text and (thousands or not _is_text(text)):
            # (text that holds a comma, "yes, really", is no number in either notation)
            hint = "; for a decimal comma pass --decimal ,"
            if thousands:
                hint += " (if ',' separates thousands, remove it from the file instead)"
        raise InputError(f"{where} is not a number: {text[:40]!r}{hint}") from None
    if not math.isfinite(value):
        raise InputError(f"{where} is not a finite number: {text[:40]!r}")
    return value


def _is_number(cell: str) -> bool:
    try:
        return math.isfinite(_cell_float(cell))
    except ValueError:
        return False


def _is_text(cell: str) -> bool:
    """Whether ``cell`` is no number in any notation (inf, a decimal comma)."""
    try:
        _cell_float(cell.replace(",", "."))
    except ValueError:
        return True
    return False


def _read_text(file, encoding: str, name: str) -> str:
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):  # (a byte-order mark skipped,
        encoding = "utf-8-sig"  # as by default: it became part of the first column's name)
    try:
        if hasattr(file, "read"):
            return file.read()
        if file == STDIN:  # (bytes, decoded as a file is: --encoding applies)
            if sys.stdin is None or sys.stdin.closed:  # (started with stdin closed: 0<&-)
                raise InputError("FILE -: standard input is not open; pipe the CSV table in "
                                 "(... | python -m l1jax path - ...) or name its file")  # fmt: skip
            stream = getattr(sys.stdin, "buffer", None)
            return sys.stdin.read() if stream is None else stream.read().decode(encoding)
        with open(file, newline="", encoding=encoding) as handle:
            return handle.read()
    except LookupError:
        raise InputError(f"--encoding {encoding!r} is not a text encoding Python knows (e.g. "
                         "utf-8, latin-1, cp1252)") from None  # fmt: skip
    except UnicodeDecodeError as err:
        raise InputError(
            f"{name} is not {err.encoding} text (byte {err.object[err.start]:#04x} at offset "
            f"{err.start}); pass its encoding, e.g. --encoding latin-1"
        ) from None


def _sniff(lines: Sequence[str]) -> str:
    """The separator of the first ``lines``: the candidate that splits them all into the same
    number (> 1) of cells, the most cells winning; else the one that splits the first line into
    the most cells; else a comma (a file of one column)."""
    best, best_score = ",", (False, 1)
    for sep in _SEPARATORS:
        counts = [len(row) for row in csv.reader(lines, delimiter=sep)]
        score = (len(set(counts)) == 1, counts[0])
        if counts[0] > 1 and score > best_score:
            best, best_score = sep, score
    return best


def _unknown_target(target, names, first_row, name, sep, header) -> InputError:
    """Why ``target`` is not a column: the file's separator, its header or a typo."""
    if len(names) == 1:
        other = [s for s in _SEPARATORS if s != sep and s in first_row]
        fix = f"pass --sep {other[0]!r}" if other else "pass its separator with --sep"
        return InputError(
            f"{name} has one column when split at {sep!r} (its first line: "
            f"{first_row[:40]!r}); {fix}"
        )
    if not header:
        return InputError(
            f"with --no-header, --target is a column position from 0 to {len(names) - 1} "
            f"(0 is the first column), got {target!r}"
        )
    if all(_is_number(cell) for cell in names):
        return InputError(
            f"{name} has no header: its first row ({', '.join(names[:3])}, ...) holds numbers; "
            f"pass --no-header and give --target as a column position (0 to {len(names) - 1})"
        )
    close = difflib.get_close_matches(target, names, n=1) or [
        n for n in names if n.lower() == target.lower()
    ]
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return InputError(
        f"column {target!r} is not in {name}{hint}; its columns are: {', '.join(names)}"
    )


def _numbers_rows(cells) -> bool:
    """Whether the cells of an unnamed column number the rows, as the index pandas writes
    does: distinct integers, increasing (a filtered frame's) or a shuffle of consecutive ones
    (a shuffled frame's); other integers (2, 5, 8, 3) are data."""
    if not cells or not all(re.fullmatch(r"-?[0-9]{1,18}", c) for c in cells):  # (ASCII:
        return False  # "²" is a digit to str.isdigit, not to int)
    ints = [int(c) for c in cells]
    increasing = all(b > a for a, b in zip(ints, ints[1:], strict=False))
    return increasing or sorted(ints) == list(range(min(ints), min(ints) + len(ints)))


def _left_out(names, data, keep, drop, name) -> list[str]:
    """Leave out the ``drop`` columns and the unnamed ones (pandas' saved index, the empty
    columns of trailing separators); returns the notes. An unnamed column of data raises."""
    for col in drop:
        if col not in names:
            raise InputError(
                f"--drop {col!r}: no such column in {name}; its columns are: {', '.join(names)}"
            )
    notes = []
    for j, col in enumerate(names):
        if not keep[j] or col in drop:
            keep[j] = False
            continue
        if not _UNNAMED.fullmatch(col):
            continue
        cells = [row[j].strip() for _, row in data if j < len(row)]
        if all(cell.lower() in _MISSING for cell in cells):
            notes.append(f"{name}: left out column {j + 1}, which has no name and no values")
        elif _numbers_rows(cells):
            notes.append(
                f"{name}: left out column {j + 1}, which has no name and numbers the rows "
                "(a saved pandas index)"
            )
        else:
            raise InputError(
                f"column {j + 1} of {name} has no name but holds data; name it in the header "
                f"or leave it out with --drop {shlex.quote(col)}"
            )
        keep[j] = False
    return notes


def read_csv(
    file,
    target: str | Sequence[str],
    *,
    binary: bool = False,
    multiclass: bool = False,
    sep: str | None = None,
    header: bool = True,
    drop: Sequence[str] = (),
    decimal: str = ".",
    encoding: str = "utf-8-sig",
) -> Table:
    """Read a CSV file: every column numeric, ``target`` the response, the others the features.

    Cells ``""``, ``NA``, ``NaN``, ``null``, ... (pandas' missing values) are missing, and
    refused. Columns without a name are left out when they hold nothing or number the rows
    (the index that ``pandas.DataFrame.to_csv`` writes), and refused when they hold data.

    Args:
      file: a path, ``"-"`` for standard input, or an open text file.
      target: the name of the response column (its 0-based position when ``header=False``);
        a list of several names: a multi-task response ``y`` ``(n, m)``, numeric, whose
        columns :attr:`Table.tasks` names (``Table.target`` joins the names).
      binary: recode a target of two distinct values (numbers or labels) as 0/1 (the larger
        or, for labels, the later in sorted order is 1); more or fewer values raise.
      multiclass: with ``binary``, accept any number ≥ 2 of classes, recoded as 0, 1, ... in
        the same order (numbers by value, then labels); ``Table.classes`` names them.
      sep: the separator; None: the one of ``, ; tab |`` that splits the first rows evenly.
      header: whether the first row names the columns; without it the columns are named by
        their 0-based positions ``"0", "1", ...``.
      drop: columns to leave out.
      decimal: ``"."`` or ``","``, the decimal mark of the numbers.
      encoding: the text encoding of a path.

    Returns:
      :class:`Table`, with ``notes`` saying what was inferred (a separator, a column left out).

    Raises:
      InputError (a ValueError): with one line naming the file, line and column at fault,
        and the option that fixes it.
      OSError: the file cannot be read.
    """
    name = "standard input" if file == STDIN else getattr(file, "name", str(file))
    text = _read_text(file, encoding, name)
    lines = [line for line in text.splitlines() if line.strip()]
    notes = []
    if sep is None and lines:
        sep = _sniff(lines[:20])
        if sep != ",":
            notes.append(f"{name}: columns separated by {_SEPARATORS[sep]} (--sep to choose)")
    if "\r" in text:  # (old Mac line ends, alone or mixed with others: the csv module refused
        text = text.replace("\r\n", "\n").replace("\r", "\n")  # a lone CR with a traceback)
    reader = csv.reader(io.StringIO(text), delimiter=sep or ",")
    rows, blank = [], []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num, row))
            elif len(row) > 1:  # (separators only: a row of empty cells, left out with a note)
                blank.append(reader.line_num)
    except csv.Error as err:  # (a quote left open took the rest of the file into one cell)
        last = rows[-1][0] if rows else 0
        message = (f"{name} cannot be read as CSV after line {last} ({err}): most likely a "
                   "quote (\") opened there and never closed; fix the file")  # fmt: skip
        raise InputError(message) from None
    if not rows:
        raise InputError(f"{name} is empty; it needs a header row and data rows")
    if blank:
        shown = ", ".join(map(str, blank[:5])) + (", ..." if len(blank) > 5 else "")
        rows_of = "a row" if len(blank) == 1 else f"{len(blank)} rows"
        notes.append(f"{name}: {rows_of} of empty cells left out (line {shown})")
    first = rows[0][1]
    names = [cell.strip() for cell in first] if header else [str(j) for j in range(len(first))]
    data = rows[1:] if header else rows
    targets = [target] if isinstance(target, str) else list(target)
    if len(targets) > 1 and binary:
        raise InputError("several --target columns make a multi-task regression (numeric "
                         "targets); --loss logistic takes one target")  # fmt: skip
    for one in targets:
        if one not in names:
            raise _unknown_target(one, names, lines[0], name, sep, header)
        if one in drop:
            raise InputError(f"--drop {one!r} names a --target column")
        if targets.count(one) > 1:
            raise InputError(f"--target names the column {one!r} twice")
        if names.count(one) > 1:
            raise InputError(f"{name} has {names.count(one)} columns named {one!r}, the "
                             "--target: rename them in the header")  # fmt: skip
    target = ", ".join(targets)
    ts = [names.index(one) for one in targets]
    keep = [j not in ts for j in range(len(names))]
    notes += _left_out(names, data, keep, set(drop), name)
    kept = [names[j] for j in range(len(names)) if keep[j]]
    if len(set(kept)) != len(kept):
        dup = sorted({h for h in kept if kept.count(h) > 1})
        raise InputError(f"{name} has duplicate column names: {', '.join(dup)}")
    if not kept:
        raise InputError(f"{name} has only the column {target!r}; it needs feature columns too")
    if not data:
        raise InputError(f"{name} has a header but no data rows")
    X = np.empty((len(data), len(kept)))
    raw_ys = [[] for _ in ts]
    columns = [j for j in range(len(names)) if keep[j]]
    bools = {j for j in columns if _bool_column([row[j] for _, row in data if j < len(row)])}
    for r, (line, row) in enumerate(data):
        if len(row) != len(names):
            raise InputError(f"{name} line {line} has {len(row)} cells, the header has "
                             f"{len(names)}")  # fmt: skip
        for i, j in enumerate(columns):
            where = f"{name} line {line}, column {names[j]!r},"
            if j in bools:  # (a missing cell refused at its line, by _refuse_missing)
                _refuse_missing(row[j], where)
                X[r, i] = _BOOLS[row[j].strip().lower()]
                continue
            try:
                X[r, i] = _number(row[j], where, decimal)
            except InputError as err:  # (a text feature: name the way to leave it out)
                if "is not a number" not in str(err) or "--decimal" in str(err):
                    raise
                mixed = row[j].strip().lower() in _BOOLS  # (true/false beside numbers)
                raise InputError(
                    f"{err}; features must be numbers"
                    + (": the column mixes true/false with numbers, make them all one or the "
                       "other, or" if mixed else ": encode the column, or")
                    + f" leave it out with --drop {shlex.quote(names[j])}"
                ) from None  # fmt: skip
        for raw_y, one, t in zip(raw_ys, targets, ts, strict=True):
            raw_y.append((f"{name} line {line}, target {one!r},", row[t].strip()))
    notes += _row_numbers(X, kept, name)
    if len(targets) > 1:  # multi-task: one numeric column per target
        y = np.stack([_numeric_target(raw_y, decimal, tasks=True) for raw_y in raw_ys], axis=1)
        return Table(X, y, kept, target, None, tuple(notes), tasks=targets)
    y, classes = _target(raw_ys[0], target, binary, decimal, multiclass)
    return Table(X, y, kept, target, classes, tuple(notes))


def _row_numbers(X, names, name) -> list[str]:
    """Notes on the named feature columns that count the rows (an index saved as a feature)."""
    n = X.shape[0]
    if n < 3:
        return []
    count = np.arange(n)
    return [
        f"{name}: column {col!r} counts the rows ({X[0, j]:g}, {X[1, j]:g}, ...): an index? "
        f"--drop {shlex.quote(col)} leaves it out"
        for j, col in enumerate(names)
        if np.array_equal(X[:, j], count) or np.array_equal(X[:, j], count + 1)
    ]


def _target(raw_y, target, binary, decimal, multiclass=False):
    """The response from ``raw_y``, pairs of (where a cell is, for messages; the cell): its
    values, and for ``binary`` its recoding as 0/1 (0, 1, 2, ... with ``multiclass``) with the
    labels."""
    if binary:
        return _class_target(raw_y, target, multiclass, decimal)
    return _numeric_target(raw_y, decimal), None


# A class target with more distinct values than this is most likely not one (an id, a number).
_MAX_CLASSES = 50


def _first(values: Sequence[str], k: int = 5) -> str:
    """The first ``k`` of ``values`` joined by commas, ``...`` when there are more."""
    return ", ".join(values[:k]) + (", ..." if len(values) > k else "")


def _class_key(cell: str, decimal: str = "."):
    """A class label's identity: a number by its value ("1" and "1.0" are one class, as pandas
    and glmnet read them; "1,0" too under ``--decimal ,``), text by its text."""
    text = cell.strip()
    number = text.replace(",", ".") if decimal == "," and "." not in text else text
    if re.fullmatch(r"[+-]?[0-9]+", number) and len(number) < 4000:  # (exact: 2**53 and
        return int(number)  # 2**53 + 1 are two classes; Python converts up to 4,300 digits)
    return _cell_float(number) if _is_number(number) else text


def _class_target(raw_y, target, multiclass, decimal="."):
    for where, cell in raw_y:
        _refuse_missing(cell, where, target=True)
    identities = [_class_key(cell, decimal) for _, cell in raw_y]
    labels = {}  # (each class by the first cell that names it)
    for key, (_, cell) in zip(identities, raw_y, strict=True):
        labels.setdefault(key, cell.strip())
    keys = sorted(labels, key=lambda k: (1, 0, k) if isinstance(k, str) else (0, k, ""))
    values = [labels[k] for k in keys]
    shown = _first(values)
    if len(values) < 2:
        raise InputError(f"target {target!r} must have at least 2 classes for a classifier "
                         f"(--loss logistic or multinomial): it has 1 ({shown})")  # fmt: skip
    if len(values) > 2 and not multiclass:
        raise InputError(
            f"target {target!r} must be binary for --loss logistic: it has {len(values)} "
            f"distinct values ({shown})"
        )
    if len(values) > _MAX_CLASSES:
        raise InputError(
            f"target {target!r} has {len(values)} distinct values ({shown}): too many for a "
            f"classifier (at most {_MAX_CLASSES} classes); for a numeric response leave out "
            "--loss"
        )
    index = {key: float(c) for c, key in enumerate(keys)}
    return np.array([index[key] for key in identities]), values


def _numeric_target(raw_y, decimal, tasks: bool = False):
    y = np.empty(len(raw_y))
    for i, (where, cell) in enumerate(raw_y):
        try:
            y[i] = _number(cell, where, decimal, target=True)
        except InputError as err:
            if cell.lower() in _MISSING or not _is_text(cell):
                raise
            values = sorted({c for _, c in raw_y if c.lower() not in _MISSING}, key=_sort_key)
            shown = _first(values)
            numbers = [c for c in values if not _is_text(c)]
            texts = sum(_is_text(c) and c.lower() not in _MISSING for _, c in raw_y)
            words = [c for c in values if _is_text(c)]
            if numbers and texts <= max(2, len(raw_y) // 20):  # (a typo: rows, not values)
                hint = f"the target's other values are numbers ({_first(numbers)}): fix that cell"
            elif numbers and len(words) == 1 and not any(ch.isalnum() for ch in words[0]):
                # (one mark without letters or digits, "?" in UCI's files, among numbers: a
                # missing value's code, not a class)
                hint = (f"{words[0]!r} in {texts} rows among numbers looks like a code for "
                        "missing values: impute them, or leave out their rows")  # fmt: skip
            elif tasks and 2 <= len(values) <= _MAX_CLASSES:  # (--loss logistic takes one
                hint = ("the --target columns of a multi-task regression must be numbers: "
                        "encode it, or fit it alone with --loss logistic")  # fmt: skip
            elif len(values) < 2:
                hint = f"it holds one text value ({shown}): a target needs numbers or classes"
            elif len(values) == 2:
                hint = f"its two values ({shown}) make a binary target: add --loss logistic"
            elif len(values) <= _MAX_CLASSES:
                hint = (f"its {len(values)} distinct values ({shown}) make a class target: "
                        "add --loss logistic (multinomial for more than two classes)")  # fmt: skip
            else:
                hint = f"it has {len(values)} distinct values, too many for classes"
            raise InputError(f"{err}; {hint}") from None
    return y


def _sort_key(cell: str):
    try:
        return (0, _cell_float(cell), cell)
    except ValueError:
        return (1, 0.0, cell)


def read_npz(
    file,
    target: str,
    *,
    binary: bool = False,
    multiclass: bool = False,
    feature_names: str | None = None,
    decimal: str = ".",
    encoding: str = "utf-8-sig",
) -> Table:
    """Read a sparse design matrix written by ``scipy.sparse.save_npz`` and its response.

    The matrix stays sparse: :attr:`Table.X` is the SciPy matrix as loaded, which
    :func:`l1jax.path`, :func:`l1jax.cv_path` and :func:`l1jax.stability_selection` take as it
    is (never densified).

    Args:
      file: the path of the ``.npz`` file.
      target: the path of the response, one value per row of the matrix: a ``.npy`` array, or
        a text file of one value per line (optionally a first line naming it).
      binary: recode a target of two distinct values (numbers or labels) as 0/1, as
        :func:`read_csv` does.
      multiclass: with ``binary``, accept more classes, as :func:`read_csv` does.
      feature_names: the path of a text file of one feature name per line; default names
        ``x0, x1, ...``.
      decimal: ``"."`` or ``","``, the decimal mark of a text target.
      encoding: the text encoding of the text files.

    Raises:
      InputError (a ValueError): one line naming the file at fault.
      FileNotFoundError: a file does not exist.
    """
    import scipy.sparse as sp

    name = str(file)
    if not os.path.exists(file):
        raise FileNotFoundError(2, "No such file", name)
    try:
        X = sp.load_npz(file)
    except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile) as err:
        reason = f" ({str(err).splitlines()[0]})" if not isinstance(err, ValueError) else ""
        raise InputError(
            f"{name} holds no sparse matrix{reason}; a .npz FILE must be written by "
            "scipy.sparse.save_npz (a dense table: pass it as a CSV file)"
        ) from None
    n, p = X.shape
    if n == 0 or p == 0:
        raise InputError(f"{name} is an empty {n} × {p} matrix; it needs rows and columns")
    if not np.issubdtype(X.dtype, np.number) and X.dtype != np.bool_:
        raise InputError(f"{name} holds {X.dtype} values, not numbers")
    if np.issubdtype(X.dtype, np.inexact) and not np.all(np.isfinite(X.data)):
        coo = X.tocoo()
        bad = np.flatnonzero(~np.isfinite(coo.data))
        if bad.size:
            i, j, value = coo.row[bad[0]], coo.col[bad[0]], coo.data[bad[0]]
            raise InputError(
                f"{name} has {bad.size} stored value{'s' if bad.size > 1 else ''} that "
                f"{'are' if bad.size > 1 else 'is'} not a finite number, the first {value} at "
                f"row {i}, column {j} (0-based): missing values are not supported; impute "
                "them, or leave out their rows"
            )
    y, classes, target_name, notes = _read_response(target, n, name, binary, decimal, encoding,
                                                    multiclass)  # fmt: skip
    names = (
        _read_feature_names(feature_names, p, name, encoding)
        if feature_names is not None
        else [f"x{j}" for j in range(p)]
    )
    stored = X.nnz / (n * p)
    notes = (f"{name}: a sparse matrix, {X.nnz} stored values ({stored:.3g} of the cells), "
             "kept sparse", *notes)  # fmt: skip
    return Table(X, y, names, target_name, classes, notes)


def _read_response(file, n: int, xname: str, binary: bool, decimal: str, encoding: str,
                   multiclass: bool = False):  # fmt: skip
    """The response of a .npz FILE, from ``--target file``: ``(y, classes, name, notes)``."""
    name = str(file)
    if not os.path.exists(name):
        raise InputError(
            f"--target {name}: no such file; with a .npz FILE, --target names the file of the "
            "response (.npy, or text with one value per line)"
        )
    notes = []
    if name.lower().endswith(".npy"):
        try:
            values = np.load(name, allow_pickle=False)
        except (ValueError, OSError, EOFError) as err:
            raise InputError(f"--target {name} is not a .npy array ({err})") from None
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        if values.ndim != 1:
            raise InputError(f"--target {name} must hold one value per row of {xname}, a 1-D "
                             f"array; it has shape {values.shape}")  # fmt: skip
        if values.dtype.kind in "biu":
            cells = [str(int(v)) for v in values]
        elif values.dtype.kind == "f":
            cells = [np.format_float_positional(float(v), trim="-") for v in values]
        elif values.dtype.kind in "US":
            cells = [str(v).strip() for v in values.astype(str)]
        else:
            raise InputError(f"--target {name} holds {values.dtype} values, not numbers or "
                             "labels")  # fmt: skip
        raw_y = [(f"--target {name}, value {i} (0-based),", cell) for i, cell in enumerate(cells)]
        target = name
    else:
        text = _read_text(name, encoding, f"--target {name}")
        lines = [(k + 1, line.strip()) for k, line in enumerate(text.splitlines())]
        lines = [(k, line) for k, line in lines if line]
        for sep in _SEPARATORS:
            split = [len(row) for row in csv.reader([line for _, line in lines[:20]],
                                                    delimiter=sep)]  # fmt: skip
            if lines and (sep != "," or decimal != ",") and min(split) > 1:
                hint = "; for a decimal comma pass --decimal ," if sep == "," else ""
                raise InputError(
                    f"--target {name} has {split[0]} columns (separated by "
                    f"{_SEPARATORS[sep]}); with a .npz FILE it must hold the response alone, "
                    f"one value per line{hint}"
                )
        lines = [(k, _unquote(line)) for k, line in lines]
        target = name
        if (
            lines
            and _is_text(lines[0][1])
            and lines[0][1].lower() not in _MISSING
            and (len(lines) == n + 1 or not any(_is_text(cell) for _, cell in lines[1:]))
        ):
            target = lines[0][1]
            notes.append(f"--target {name}: its first line names the target, {target!r}")
            lines = lines[1:]
        raw_y = [(f"--target {name} line {k},", cell) for k, cell in lines]
    if len(raw_y) != n:
        raise InputError(
            f"--target {name} has {len(raw_y)} values, but {xname} has {n} rows; it needs "
            "one value per row"
        )
    y, classes = _target(raw_y, target, binary, decimal, multiclass)
    return y, classes, target, notes


def _unquote(cell: str) -> str:
    if len(cell) > 1 and cell[0] == cell[-1] == '"':
        return cell[1:-1].replace('""', '"')
    return cell


def _read_feature_names(file, p: int, xname: str, encoding: str) -> list[str]:
    name = str(file)
    text = _read_text(name, encoding, f"--feature-names {name}")
    names = [_unquote(line.strip()) for line in text.splitlines()]
    while names and not names[-1]:
        names.pop()
    if len(names) != p:
        raise InputError(f"--feature-names {name} has {len(names)} names, but {xname} has "
                         f"{p} columns; it needs one name per line, one per column")  # fmt: skip
    if "" in names:
        raise InputError(f"--feature-names {name} line {names.index('') + 1} is empty; every "
                         "column needs a name")  # fmt: skip
    if len(set(names)) != p:
        seen, dup = set(), []
        for col in names:
            if col in seen and col not in dup:
                dup.append(col)
            seen.add(col)
        shown = _first(dup)
        raise InputError(f"--feature-names {name} has duplicate names: {shown}")
    return names


def load_diabetes() -> Table:
    """The diabetes data of Efron, Hastie, Johnstone & Tibshirani (2004), "Least angle
    regression", shipped with l1jax: 442 patients, 10 baseline variables (age, sex, body mass
    index, blood pressure, six serum measurements s1-s6) on their original scales, and a
    measure of disease progression one year later (``target``)."""
    source = resources.files("l1jax") / "data" / DIABETES_PATH
    with source.open("r", encoding="utf-8") as handle:
        return read_csv(handle, "target")


# ----------------------------------------------------------------------------------------------
# Running a job.


_quiet = False  # --quiet


def _progress(message: str) -> None:
    if not _quiet:
        _stderr(f"[l1jax] {message}")


def _stderr(line: str) -> None:
    """Print ``line`` on stderr, or nowhere without one (``2>&-``, pythonw: sys.stderr is None,
    and ``print(file=None)`` wrote the line on stdout, among the results)."""
    if sys.stderr is not None:
        print(line, file=sys.stderr, flush=True)


def _rows_to_show(nonzeros: np.ndarray, marks: dict[int, str]) -> list[int]:
    """The first λ of each support size, the marked λs and the last λ."""
    first = [0] + [k for k in range(1, nonzeros.size) if nonzeros[k] != nonzeros[k - 1]]
    return sorted(set(first) | set(marks) | {nonzeros.size - 1})


# With more features than this, the coefficient table lists only those nonzero at a chosen λ
# (and the line of a chosen λ names this many of its features).
_ALL_ROWS = 50


def _report(table: Table, result, cv) -> str:
    """The compact text table: λ, nonzeros, CV error; the chosen λs and the features they keep."""
    path = cv.path if cv is not None else result
    coef = np.asarray(path.coef, np.float64)
    columns = _columns(table, coef)  # the classes or targets of coef (K, p, C); else None
    kind = "target" if table.tasks else "class"
    nonzeros = features_in(coef).sum(axis=1)
    marks = {}
    if cv is not None:
        marks = {cv.index_min: "λ_min", cv.index_1se: "λ_1se"}
        if cv.index_min == cv.index_1se:
            marks = {cv.index_min: "λ_min = λ_1se"}
    score = cv.scoring if cv is not None else ""
    head = f"{'λ':>11} {'nonzero':>8}" if columns is None else f"{'λ':>11} {'features':>8}"
    if cv is not None:
        head += f" {'CV ' + score:>20} {'± se':>10}"
    lines = [head]
    for k in _rows_to_show(nonzeros, marks):
        line = f"{path.lambdas[k]:>11.4g} {nonzeros[k]:>8d}"
        if cv is not None:
            line += f" {cv.cv_mean[k]:>20.5g} {cv.cv_se[k]:>10.3g}"
        if k in marks:
            line += f"   <- {marks[k]}"
        lines.append(line)
    chosen = [(k, name) for k, name in marks.items()]
    if not chosen:
        chosen = [(coef.shape[0] - 1, "the smallest λ")]
    lines.append("")
    names = table.feature_names
    rows = range(len(names))
    if len(names) > _ALL_ROWS:  # wide data: the coefficient table shows the nonzero rows only
        rows = np.flatnonzero(features_in(coef[[k for k, _ in chosen]]).any(axis=0))
    width = max([len("(intercept)"), *(_columns_of(names[j]) for j in rows)])
    for k, label in sorted(chosen):
        keep = np.flatnonzero(features_in(coef[k : k + 1])[0])
        lines.append(
            f"{label} = {path.lambdas[k]:.4g} keeps {keep.size} of {len(names)} features"
            + (f": {', '.join(names[j] for j in keep[:_ALL_ROWS])}" if keep.size else "")
            + (f", ... ({keep.size - _ALL_ROWS} more below)" if keep.size > _ALL_ROWS else "")
        )
        for c, column in enumerate(columns if columns and kind == "class" else []):  # per class
            own = np.flatnonzero(coef[k, :, c])
            lines.append(
                f"  {kind} {column!r}: {own.size} feature{'' if own.size == 1 else 's'}"
                + (f": {', '.join(names[j] for j in own[:_ALL_ROWS])}" if own.size else "")
                + (", ..." if own.size > _ALL_ROWS else "")
            )
    lines.append("")
    if columns is not None:
        return "\n".join(lines + _class_tables(coef, path, chosen, columns, names, rows, width,
                                               kind))  # fmt: skip
    lines.append(f"{'coefficient':<{width}} " + " ".join(f"{name:>14}" for _, name in
                                                      sorted(chosen)))  # fmt: skip
    lines.append(f"{'(intercept)':<{width}} " + " ".join(
        f"{path.intercept[k]:>14.5g}" for k, _ in sorted(chosen)))  # fmt: skip
    for j in rows:
        cells = [f"{coef[k, j]:>14.5g}" if coef[k, j] != 0 else f"{'.':>14}"
                 for k, _ in sorted(chosen)]  # fmt: skip
        lines.append(f"{_left(names[j], width)} " + " ".join(cells))
    if len(rows) < len(names):
        lines.append(f"(the other {len(names) - len(rows)} features are 0 at "
                     f"{'these λs' if len(chosen) > 1 else 'this λ'})")  # fmt: skip
    return "\n".join(lines)


def _columns_of(text: str) -> int:
    """The terminal columns ``text`` takes: two per wide (CJK) character, none per combining
    mark or format character (``len`` counted one each: the tables' columns slid under such
    names; emoji sequences joined by ZWJ are left to the terminal)."""
    return sum(0 if (unicodedata.combining(c) or unicodedata.category(c) in _ZERO_WIDTH)
               and not ("\xad" == c or "\u0600" <= c <= "\u0605")
               else 2 if unicodedata.east_asian_width(c) in "WF" else 1
               for c in text)  # fmt: skip


_ZERO_WIDTH = ("Mn", "Me", "Cf")  # marks (Hindi's, Thai's vowel signs) and format characters
# (but the soft hyphen and the prepended concatenation marks, Arabic's number signs, take one)


def _left(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` terminal columns."""
    return text + " " * max(0, width - _columns_of(text))


def _right(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal columns, padded on the left to them."""
    while _columns_of(text) > width:
        text = text[:-1]
    return " " * (width - _columns_of(text)) + text


def _columns(table: Table, coef: np.ndarray) -> list[str] | None:
    """The names of the last axis of ``coef`` ``(K, p, C)`` (the classes of a multinomial
    path, the targets of a multi-task one), or None for a path of one response."""
    if coef.ndim == 2:
        return None
    if table.tasks:
        return list(table.tasks)
    return [str(c) for c in table.classes] if table.classes else [str(c) for c in
                                                                  range(coef.shape[2])]  # fmt: skip


def _class_tables(coef, path, chosen, columns, names, rows, width, kind) -> list[str]:
    """One coefficient table per chosen λ, a column per class or target (``kind``)."""
    lines = []
    for k, label in sorted(chosen):
        lines.append(f"coefficients at {label} = {path.lambdas[k]:.4g}, one column per {kind}")
        lines.append(f"{'coefficient':<{width}} " + " ".join(_right(c, 14) for c in columns))
        lines.append(f"{'(intercept)':<{width}} " + " ".join(
            f"{b:>14.5g}" for b in path.intercept[k]))  # fmt: skip
        for j in rows:
            cells = [f"{v:>14.5g}" if v != 0 else f"{'.':>14}" for v in coef[k, j]]
            lines.append(f"{_left(names[j], width)} " + " ".join(cells))
        if len(rows) < len(names):
            lines.append(f"(the other {len(names) - len(rows)} features are 0 at "
                         f"{'these λs' if len(chosen) > 1 else 'this λ'})")  # fmt: skip
        lines.append("")
    return lines[:-1]


def _stability_report(table: Table, st, shown_unselected: int = 5) -> str:
    """The selected features with their probabilities (the most stable first), the next few
    below the threshold, and the bound on the expected number of false selections."""
    names = table.feature_names
    order = np.argsort(-st.max_probability, kind="stable")
    selected = [j for j in order if st.selected[j]]
    below = [j for j in order if not st.selected[j]]
    width = max(8, *(_columns_of(n) for n in names))
    lines = [f"{'feature':<{width}} {'probability':>11}   (the largest over the λs)"]
    for j in selected:
        lines.append(f"{_left(names[j], width)} {st.max_probability[j]:>11.2f}   selected")
    for j in below[:shown_unselected]:
        lines.append(f"{_left(names[j], width)} {st.max_probability[j]:>11.2f}")
    if len(below) > shown_unselected:
        rest = below[shown_unselected:]
        lines.append(f"... {len(rest)} more features, each at most "
                     f"{st.max_probability[rest[0]]:.2f}")  # fmt: skip
    lines.append("")
    chosen = ", ".join(names[j] for j in selected) if selected else "none"
    lines.append(f"selected {len(selected)} of {len(names)} features "
                 f"(threshold {st.threshold:g}): {chosen}")  # fmt: skip
    lines.append(
        f"expected number of false selections <= {st.error_bound:.3g} (Meinshausen & "
        f"Bühlmann's bound q² / ((2·threshold − 1)·p), q = {st.mean_selected:.3g} features "
        "selected per half; it assumes exchangeable noise features)"
    )
    return "\n".join(lines)


def _write_probabilities(out: str, table: Table, st) -> None:
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["lambda", *table.feature_names])
        for lam, row in zip(st.lambdas, st.probabilities, strict=True):
            writer.writerow([repr(float(lam)), *(repr(float(v)) for v in row)])


def _write_coef(out: str, table: Table, path, cv) -> None:
    """One row per λ; a multinomial (multi-task) path has an intercept and a coefficient column
    per class (target): ``intercept[CLASS]``, ``FEATURE[CLASS]``, feature by feature; its
    ``features`` column counts the features in the model."""
    coef = np.asarray(path.coef)
    columns = _columns(table, coef)
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        extra = ["cv_mean", "cv_se"] if cv is not None else []
        if columns is None:
            head = ["nonzero", "intercept", *table.feature_names]
        else:
            head = ["features", *(f"intercept[{c}]" for c in columns),
                    *(f"{name}[{c}]" for name in table.feature_names for c in columns)]  # fmt: skip
        writer.writerow(["lambda", *extra, *head])
        counts = features_in(coef).sum(axis=1)
        for k in range(path.lambdas.size):
            cells = [repr(float(path.lambdas[k]))]
            if cv is not None:
                cells += [repr(float(cv.cv_mean[k])), repr(float(cv.cv_se[k]))]
            cells.append(str(int(counts[k])))
            cells += [repr(float(b)) for b in np.ravel(path.intercept[k])]
            cells += [repr(float(c)) for c in np.ravel(coef[k])]
            writer.writerow(cells)


def _preload_matplotlib() -> None:
    """Import what the plots need in a thread while the path is fitted (XLA runs the fit
    outside the GIL): 0.1-0.2 s off the main job. An import that the plots reach first waits
    for this one (Python's per-module import lock; the main thread holds no other module's
    lock then, as it imports these from plain code), so nothing is imported twice or half."""

    def load():
        try:
            import matplotlib.backends.backend_agg  # noqa: F401
            import matplotlib.figure  # noqa: F401
            import matplotlib.ticker  # noqa: F401
        except Exception:  # (the plots will say what is wrong)
            pass

    threading.Thread(target=load, name="l1jax-matplotlib", daemon=True).start()


def _save(out: str, *draws, width: float, title: str) -> None:
    """One figure of ``len(draws)`` panels, each drawn by a function of its Axes, titled with
    ``title`` (the data set and its target), saved to ``out``."""
    from matplotlib.figure import Figure  # (not pyplot: no GUI backend, 0.3 s less to import)

    fig = Figure(figsize=(width, 4.8), layout="constrained")
    axes = fig.subplots(1, len(draws))
    for draw, ax in zip(draws, np.atleast_1d(axes), strict=True):
        draw(ax)
    fig.suptitle(_escaped(title).replace("$", r"\$"), fontsize=11)  # (a file name, not mathtext)
    fig.savefig(out, dpi=110)  # (the constrained layout fits the figure: no "tight" pass)


def _escaped(text: str) -> str:
    """``text`` with the bytes of a file name that is not UTF-8 (which Python decodes to lone
    surrogates) as ``\\xe4`` escapes: matplotlib failed on them with "set_text(): incompatible
    function arguments", after the fit."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # (a surrogate that no byte was decoded to)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


_ALL_DRAWN = 1000  # with more features, the path plot leaves out those never nonzero


def _count_left_out(ax, left_out: int) -> None:
    """Count the features left out of a wide plot (never selected) among its legend's "other
    features" (the plot counted only those drawn: 47 of 1,190)."""
    legend = ax.get_legend()
    for text in legend.get_texts() if legend is not None and left_out else []:
        if match := re.fullmatch(r"(\d+) other features", text.get_text()):
            text.set_text(f"{int(match.group(1)) + left_out} other features")


def _column_sd(X) -> np.ndarray:
    """The standard deviation of each column (1/n), of a dense or sparse ``X`` (kept sparse)."""
    if not _sparse.is_scipy_sparse(X):
        return np.asarray(X).std(axis=0)
    mean = np.asarray(X.mean(axis=0)).ravel()
    mean_sq = np.asarray(X.multiply(X).mean(axis=0)).ravel()
    return np.sqrt(np.maximum(mean_sq - mean**2, 0.0))


def _save_plots(table: Table, path, cv, files: Sequence[str], title: str) -> None:
    """Path and CV plots: two files, or both panels in one file when one name is given."""
    from l1jax.plotting import plot_cv, plot_path

    save = functools.partial(_save, title=title)

    def draw_path(ax):
        result, names = cv if cv is not None else path, table.feature_names
        scale = _column_sd(table.X)
        drawn = np.flatnonzero(features_in(np.asarray(path.coef)).any(axis=0))
        if len(names) > _ALL_DRAWN and drawn.size < len(names):
            # Wide data: a flat line at 0 per feature never selected would only cost
            # matplotlib seconds (10^4 of them); the path of the others is the same drawing.
            part = path._replace(coef=np.asarray(path.coef)[:, drawn])
            result = cv._replace(path=part) if cv is not None else part
            names, scale = [names[j] for j in drawn], scale[drawn]
        plot_path(result, ax=ax, feature_names=names, scale=scale)
        _count_left_out(ax, len(table.feature_names) - len(names))

    def draw_cv(ax):
        plot_cv(cv, ax=ax)

    if cv is None:
        save(files[0], draw_path, width=7.5)
    elif len(files) == 2:
        save(files[0], draw_path, width=7.5)
        save(files[1], draw_cv, width=7.5)
    else:
        save(files[0], draw_path, draw_cv, width=14)


def _check_fit(table: Table, args) -> None:
    """Refuse what the fit would refuse, in the command line's words; note a likely mistake."""
    n = table.X.shape[0]
    if not args.stability and args.cv > n:
        fewer = f"--cv {min(10, n)} or fewer" if n >= 2 else "--cv 0 (no cross-validation)"
        raise InputError(f"--cv {args.cv} asks for more folds than the data has rows ({n}); "
                         f"use {fewer}")  # fmt: skip
    if table.tasks and args.stability:
        raise InputError("--stability takes one --target column (stability selection of a "
                         "multi-task fit is not supported); pass one target, or leave "
                         "--stability out for the multi-task path")  # fmt: skip
    if table.tasks and args.loss != "squared":
        raise InputError(f"several --target columns fit a multi-task squared-loss path; --loss "
                         f"{args.loss} takes one target")  # fmt: skip
    if getattr(args, "grouped", False) and args.loss != "multinomial":  # (multi-task too)
        raise InputError("--grouped is for a multinomial fit (--loss multinomial, or --loss "
                         "logistic with a target of more than two classes)")  # fmt: skip
    if table.tasks:
        return
    target = table.target
    if args.loss == "poisson" and table.y.min() < 0:
        raise InputError(f"target {target!r} has negative values (down to {table.y.min():g}); "
                         "--loss poisson needs counts or rates >= 0")  # fmt: skip
    if args.loss in ("logistic", "multinomial"):
        return
    values = np.unique(table.y)
    if values.size == 2:
        _progress(f"note: target {target!r} has two values ({values[0]:g}, {values[1]:g}); "
                  "for a classifier add --loss logistic")  # fmt: skip
    elif 2 < values.size <= 10 and np.all(values == np.round(values)) and args.loss == "squared":
        shown = ", ".join(f"{v:g}" for v in values)
        _progress(f"note: target {target!r} has {values.size} whole-number values ({shown}), "
                  "fitted as numbers; for classes add --loss logistic (multinomial)")  # fmt: skip


# l1jax's messages name its arguments; the command line's name its options.
_FLAGS = [
    (r" or pass explicit lambdas", ""),  # (the command line takes a grid size only)
    (
        r"\blambdas must be a grid size from 1 to ([\d,]+) or an array of λs",
        r"--n-lambdas must be from 1 to \1",
    ),
    (r"fold_ids / n_folds|\bn_folds\b", "--cv"),
    (r"\bfold_ids\b", "--seed"),
    (r"\bl1_ratio\b", "--l1-ratio"),
    (r"\blambda_min_ratio\b", "--lambda-min-ratio"),
    (r"\bmax_iter\b", "--max-iter"),
    (r"\btol\b", "--tol"),
    (r"\bloss='(\w+)'", r"--loss \1"),
    (r"\bn_subsamples\b", "--stability"),
    (r"\bthreshold\b", "--threshold"),
]


def _class_labels(message: str, classes) -> str:
    """l1jax's "class 2.0 of y" (the class's code) as the file's label: "class 'emu' of y"."""
    if not classes:
        return message

    def label(match):
        k = int(match.group(1))
        return f"class {classes[k]!r} of y" if k < len(classes) else match.group(0)

    return re.sub(r"class (\d+)(?:\.0)? of y", label, message)


def _in_cli_terms(message: str) -> str:
    for pattern, flag in _FLAGS:
        message = re.sub(pattern, flag, message)
    return message


def _is_own(category: type[Warning]) -> bool:
    """Whether a warning is l1jax's: a convergence warning, or its cache's."""
    return issubclass(category, ConvergenceWarning | CacheWarning)


@contextlib.contextmanager
def _own_warnings():
    """Print l1jax's own warnings of the block after it, as ``[l1jax] warning: ...`` lines in
    the command line's terms (all of them, whatever the filters: they are part of the fit's
    report); every other warning goes through the user's filters to Python's display, as
    without the block. (Every warning was recorded under simplefilter("always") and reprinted:
    PYTHONWARNINGS=ignore was overridden, and jax's and Python's warnings were called l1jax's.)
    """
    caught = []
    with warnings.catch_warnings():  # (restores the filters and the display after the block)
        display = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            if _is_own(category):
                caught.append(message)
            else:
                display(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        warnings.filterwarnings("always", category=ConvergenceWarning)
        warnings.filterwarnings("always", category=CacheWarning)
        yield
    for message in caught:
        _stderr(f"[l1jax] warning: {_in_cli_terms(str(message))}")


def _run(table: Table, args, plot_files: Sequence[str], source: str, title: str) -> None:
    n, p = table.X.shape
    for note in table.notes:
        _progress(note)
    if table.classes and len(table.classes) > 2 and args.loss == "logistic":
        args.loss = "multinomial"  # (more than two classes: the softmax model of them all)
    if args.loss == "multinomial":
        shown = _first([repr(c) for c in table.classes], 10)
        _progress(f"data: {source}: {n} rows, {p} features, target {table.target!r} "
                  f"({len(table.classes)} classes: {shown}; a multinomial fit)")  # fmt: skip
    elif table.tasks:
        _progress(f"data: {source}: {n} rows, {p} features, {len(table.tasks)} targets "
                  f"({table.target}; a multi-task fit)")  # fmt: skip
    else:
        _progress(f"data: {source}: {n} rows, {p} features, target {table.target!r}"
                  + (f" (1 = {table.classes[1]!r}, 0 = {table.classes[0]!r})"
                     if table.classes else ""))  # fmt: skip
    _check_fit(table, args)
    import jax

    jax.config.update("jax_enable_x64", True)  # a command-line run owns its process
    import l1jax

    what = "lasso" if args.l1_ratio == 1 else f"elastic net (l1_ratio={args.l1_ratio:g})"
    options = dict(loss=args.loss, l1_ratio=args.l1_ratio, lambdas=args.n_lambdas,
                   lambda_min_ratio=args.lambda_min_ratio, tol=args.tol,
                   max_iter=args.max_iter)  # fmt: skip
    if args.loss == "multinomial":
        options["grouped"] = args.grouped
        what = ("grouped " if args.grouped else "") + what
    if table.tasks:
        what = f"multi-task {what} ({len(table.tasks)} targets)"
    if plot_files:
        _preload_matplotlib()
    if args.stability:
        _run_stability(table, args, options, what, plot_files, title)
        return
    start = time.perf_counter()
    with _own_warnings():
        if args.cv:
            _progress(
                f"fitting the {args.loss} {what} path ({args.n_lambdas} λs) on all rows and on "
                f"{args.cv} folds (the first run compiles for a few seconds) ..."
            )
            cv = l1jax.cv_path(
                table.X,
                table.y,
                n_folds=args.cv,
                seed=args.seed,
                early_stop=args.early_stop,
                verbose=not _quiet,
                **options,
            )
            path = cv.path
        else:
            _progress(f"fitting the {args.loss} {what} path ({args.n_lambdas} λs) ...")
            cv, path = (
                None,
                l1jax.path(
                    table.X, table.y, early_stop=args.early_stop, verbose=not _quiet, **options
                ),
            )
    _progress(f"fitted in {time.perf_counter() - start:.1f} s")
    heading = f"{args.loss} {what}, {n} rows × {p} features"
    if cv is not None:
        heading += f", {args.cv}-fold cross-validation"
    print(heading)
    print(_report(table, path, cv))
    if args.out:
        _write_coef(args.out, table, path, cv)
        _progress(f"wrote {path.lambdas.size} rows of coefficients to {args.out}")
    plot_files = list(plot_files) if cv is not None else list(plot_files)[:1]
    if plot_files:
        _progress("drawing the plots ...")
        _save_plots(table, path, cv, plot_files, title)
        _progress("saved " + " and ".join(plot_files))
        print("plots: " + ", ".join(plot_files))


def _run_stability(table: Table, args, options, what, plot_files, title) -> None:
    """``--stability B``: stability selection over B halves instead of the CV path."""
    import l1jax

    if args.loss == "multinomial":
        raise InputError("--stability takes a numeric or two-class target; more classes (a "
                         "multinomial fit) are not supported there yet")  # fmt: skip
    n, p = table.X.shape
    _progress(f"stability selection: the {args.loss} {what} path ({args.n_lambdas} λs) on "
              f"{args.stability} halves of the rows ...")  # fmt: skip
    start = time.perf_counter()
    with _own_warnings():
        st = l1jax.stability_selection(table.X, table.y, n_subsamples=args.stability,
                                       threshold=args.threshold, seed=args.seed,
                                       verbose=not _quiet, **options)  # fmt: skip
    _progress(f"fitted in {time.perf_counter() - start:.1f} s")
    print(f"{args.loss} {what}, {n} rows × {p} features, stability selection: "
          f"{args.stability} halves × {st.lambdas.size} λs from {st.lambdas[0]:.4g} down to "
          f"{st.lambdas[-1]:.4g}")  # fmt: skip
    print(_stability_report(table, st))
    if args.out:
        _write_probabilities(args.out, table, st)
        _progress(f"wrote the selection probabilities at {st.lambdas.size} λs to {args.out}")
    if plot_files:
        _progress("drawing the stability plot ...")
        from l1jax.plotting import plot_stability

        shown, names = st, table.feature_names
        drawn = np.flatnonzero(np.asarray(st.max_probability) > 0)
        if len(names) > _ALL_DRAWN and drawn.size < len(names):  # as in _save_plots
            shown = st._replace(probabilities=np.asarray(st.probabilities)[:, drawn],
                                selected=np.asarray(st.selected)[drawn],
                                max_probability=np.asarray(st.max_probability)[drawn])  # fmt: skip
            names = [names[j] for j in drawn]

        def draw(ax):
            plot_stability(shown, ax=ax, feature_names=names)
            _count_left_out(ax, len(table.feature_names) - len(names))

        _save(plot_files[0], draw, width=7.5, title=title)
        _progress(f"saved {plot_files[0]}")
        print(f"plots: {plot_files[0]}")


# ----------------------------------------------------------------------------------------------
# The argument parser.


def integer(minimum: int):
    """An argparse type: an integer of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


def _float(text: str) -> float:
    try:
        return _cell_float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def number(*, zero: bool = False):
    """An argparse type: a finite number > 0 (``zero``: ≥ 0)."""

    def parse(text: str) -> float:
        value = _float(text)
        if not (0 <= value if zero else 0 < value) or not value < math.inf:
            raise argparse.ArgumentTypeError(
                f"must be a finite number {'>=' if zero else '>'} 0, got {value}"
            )
        return value

    return parse


def _separator(text: str) -> str:
    sep = {"\\t": "\t", "tab": "\t", "space": " "}.get(text, text)
    if len(sep) != 1:
        raise argparse.ArgumentTypeError(f"must be one character (e.g. ';' or '\\t'), got {text!r}")
    return sep


def _fraction(*, one: bool):
    """An argparse type: a number in (0, 1] (``one``), else in (0, 1)."""

    def parse(text: str) -> float:
        value = _float(text)
        if not (0 < value <= 1 if one else 0 < value < 1):
            raise argparse.ArgumentTypeError(f"must be in (0, 1{']' if one else ')'}, got {value}")
        return value

    return parse


def _add_fit_options(parser: argparse.ArgumentParser, *, loss: bool) -> None:
    """The options of the fit, on the program (``loss=False``: the default job) and on its
    ``path`` command (``loss=True``, with ``--loss`` and ``--grouped``). The command's own
    defaults are ``argparse.SUPPRESS``: an option given before ``path`` (``--cv 0 path ...``,
    as the usage line shows) is kept, not overwritten by the command's default (it was, and a
    different model was fitted without a word)."""

    def default(value):
        return argparse.SUPPRESS if loss else value

    if loss:
        parser.add_argument(
            "--loss", choices=("squared", "logistic", "poisson", "multinomial"),
            default="squared",
            help="squared (regression, default), logistic (a class target: two distinct values "
            "or labels; more classes fit the multinomial model), poisson (counts) or "
            "multinomial (the softmax model of two or more classes)",
        )  # fmt: skip
        parser.add_argument(
            "--grouped", action="store_true",
            help="multinomial: select each feature for all classes at once (a penalty on its "
            "coefficients' norm, glmnet's type.multinomial='grouped'); default: class by class",
        )  # fmt: skip
    else:
        parser.set_defaults(loss="squared")
    parser.add_argument(
        "--l1-ratio", type=_fraction(one=True), default=default(1.0), metavar="R",
        help="elastic-net mixing in (0, 1]: 1 is the lasso (default), smaller adds ridge",
    )  # fmt: skip
    parser.add_argument(
        "--cv", type=integer(0), default=default(None), metavar="K",
        help="number of cross-validation folds, 0 for no CV (default 10)",
    )  # fmt: skip
    parser.add_argument(
        "--n-lambdas", type=integer(1), default=default(100), metavar="N",
        help="number of λs, log-spaced from λ_max down (default 100)",
    )  # fmt: skip
    parser.add_argument(
        "--lambda-min-ratio", type=_fraction(one=False), default=default(None), metavar="F",
        help="the smallest λ as a fraction of λ_max (default 1e-4, or 1e-2 when features "
        "outnumber rows)",
    )  # fmt: skip
    parser.add_argument(
        "--tol", type=number(), default=default(None), metavar="T",
        help="relative duality gap at which a λ counts as converged (default 1e-7)",
    )  # fmt: skip
    parser.add_argument(
        "--max-iter", type=integer(1), default=default(20_000), metavar="N",
        help="iteration cap of the solver per λ (default 20000)",
    )  # fmt: skip
    parser.add_argument(
        "--seed", type=integer(0), default=default(0),
        help="seed of the random folds (default 0)",
    )  # fmt: skip
    parser.add_argument(
        "--no-early-stop", dest="early_stop", action="store_false", default=default(True),
        help="fit all --n-lambdas λs (default: stop as glmnet does once 0.999 of the deviance "
        "is explained or it gains less than 1e-5 from one λ to the next)",
    )  # fmt: skip
    parser.add_argument(
        "--quiet", action="store_true", default=default(False),
        help="no progress lines on stderr (compilation, the path, each fold)",
    )  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m l1jax",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Cross-validated lasso and elastic-net regularization paths with l1jax.\n\n"
            "Without a command: a 10-fold cross-validated lasso path on the diabetes data of\n"
            "Efron et al. (2004, 442 patients, 10 features, shipped with l1jax). It prints λ,\n"
            "the number of nonzero coefficients and the CV error along the path, the two\n"
            "chosen λs (λ_min: the lowest CV error; λ_1se: the largest λ within one standard\n"
            f"error of it) with the features they keep, and saves {PATH_PNG} and\n"
            f"{CV_PNG} in the current directory."
        ),
        epilog=(
            "examples:\n"
            "  python -m l1jax\n"
            "  python -m l1jax path data.csv --target y --cv 5 --plot fit.png --out coef.csv\n"
            "  python -m l1jax path data.csv --target sick --loss logistic --l1-ratio 0.5\n"
            "  python -m l1jax path iris.csv --target species --loss logistic  # 3 classes\n"
            "  python -m l1jax path data.csv --target y1 y2 y3   # multi-task\n"
            "  python -m l1jax path data.csv --target y --stability 100 --plot stable.png\n"
            "  python -m l1jax path X.npz --target y.txt --cv 5   # sparse X (scipy.sparse)\n"
            "  python -m l1jax demo --steps 300\n\n"
            "The objective, for each λ: (1/n) Σ loss(y_i, b + x_i·β) + λ (R |β|₁ + (1-R)/2 |β|²)\n"
            "on standardized features; coefficients are reported on the original scale."
        ),
    )
    _add_fit_options(parser, loss=False)
    parser.set_defaults(stability=0, threshold=None)
    sub = parser.add_subparsers(dest="command", metavar="{path,demo}")
    p = sub.add_parser(
        "path",
        help="the same for your CSV file (header row, numeric columns) or sparse .npz matrix",
        description=(
            "Fit a regularization path to FILE.csv: a header row, then numeric rows; the\n"
            "--target column is the response, every other column a feature (--drop leaves\n"
            "columns out). The separator (, ; tab |) is guessed; an unnamed first column that\n"
            "numbers the rows (the index pandas writes) is left out; empty, NA and NaN cells\n"
            "are missing values, which are refused. Prints the same table as the default job.\n\n"
            "Sparse data: FILE.npz, written by scipy.sparse.save_npz, is the feature matrix,\n"
            "kept sparse (never densified); --target then names a file of the response, one\n"
            "value per row (.npy, or text with one value per line and an optional first line\n"
            "naming it), and --feature-names a file of one name per column (default x0, x1,\n"
            "...). --drop, --sep and --no-header are for CSV files only.\n"
            "  python -m l1jax path X.npz --target y.txt --feature-names words.txt --cv 5"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "file", metavar="FILE.csv|FILE.npz",
        help="the data: a CSV file with a header row (- reads it from standard input), or a "
        "sparse matrix (.npz, written by scipy.sparse.save_npz)",
    )  # fmt: skip
    p.add_argument(
        "--target", required=True, metavar="COLUMN", nargs="+", action="extend",
        help="the response column (with --no-header: its 0-based position); several columns "
        "fit a multi-task regression (one path for all of them, a feature selected for all at "
        "once); with a .npz FILE, the file of the response: a .npy array or a text file of one "
        "value per line",
    )  # fmt: skip
    p.add_argument(
        "--feature-names", metavar="NAMES.txt",
        help="with a .npz FILE: a text file of the column names, one per line (default x0, "
        "x1, ...)",
    )  # fmt: skip
    p.add_argument(
        "--drop", nargs="+", action="extend", default=[], metavar="COL",
        help="columns to leave out (ids, dates, other targets)",
    )  # fmt: skip
    p.add_argument(
        "--sep", type=_separator, metavar="CHAR",
        help="the column separator, e.g. ';' or '\\t' (default: guessed among , ; tab |)",
    )  # fmt: skip
    p.add_argument(
        "--no-header", dest="header", action="store_false",
        help="the first row is data: columns are named by their 0-based position, so "
        "--target 10 is the eleventh column",
    )  # fmt: skip
    p.add_argument(
        "--decimal", choices=(".", ","), default=".", metavar="MARK",
        help="the decimal mark of the numbers (with a .npz FILE: of a text --target): . "
        "(default) or ,",
    )  # fmt: skip
    p.add_argument(
        "--encoding", default="utf-8-sig", metavar="NAME",
        help="the text encoding of the file (with a .npz FILE: of the --target and "
        "--feature-names text files), e.g. latin-1 (default utf-8)",
    )  # fmt: skip
    _add_fit_options(p, loss=True)
    p.add_argument(
        "--plot", metavar="OUT.png",
        help="save the path plot (and the CV plot beside it, with --cv) to this PNG; with "
        "--stability, the stability path",
    )  # fmt: skip
    p.add_argument(
        "--out", metavar="COEF.csv",
        help="write the path: one row per λ (lambda, cv_mean, cv_se, nonzero, intercept, "
        "one column per feature); with --stability, the selection probabilities (lambda, "
        "one column per feature). A dense table: with 10^4+ features, a large file",
    )  # fmt: skip
    p.add_argument(
        "--stability", type=integer(0), default=0, metavar="B",
        help="stability selection instead of the CV path: fit the path on B random halves "
        "of the rows (B even: complementary pairs) and print the features selected in at "
        "least --threshold of them at some λ, with the bound on the expected number of false "
        "selections; λ runs from λ_max down to where the fit on all rows has about "
        "sqrt(0.8 p) features",
    )  # fmt: skip
    p.add_argument(
        "--threshold", type=float, metavar="T",
        help="with --stability: the selection probability in (0.5, 1] a feature must reach "
        "(default 0.6)",
    )  # fmt: skip
    sub.add_parser(
        "demo",
        help="L1 subgradient vs L1 prox vs L2 weight decay on a toy model "
        "(python -m l1jax demo --help)",
        add_help=False,
    )
    return parser


def _plot_file(file: str | None) -> str | None:
    """``--plot``'s file: with ``.png`` added when it has no extension (matplotlib adds it,
    and the file named "plots: fig" was fig.png), refused before the fit when matplotlib
    cannot write its format (it failed after the fit, with --out written)."""
    if file is None or os.path.isdir(file):  # (a folder: _check_writable says so)
        return file
    ext = os.path.splitext(file)[1]
    if not ext:
        return file + ".png"
    from matplotlib.backend_bases import FigureCanvasBase

    if ext[1:].lower() not in FigureCanvasBase.get_supported_filetypes():
        raise InputError(f"--plot {file}: matplotlib cannot write {ext} files; name a .png (or "
                         ".pdf, .svg) file")  # fmt: skip
    return file


def _check_writable(flag: str, file: str | None, inputs: Sequence[str] = ()) -> None:
    """Refuse an output ``file`` that cannot be written before the fit, not after it: a
    missing or read-only folder, a folder given as the file, or one of the ``inputs`` (the data
    file was overwritten with the coefficients)."""
    if file is None:
        return
    if any(os.path.realpath(file) == os.path.realpath(given) for given in inputs if given):
        raise InputError(f"{flag} {file}: is an input file, which it would overwrite; name "
                         "another file")  # fmt: skip
    folder = os.path.dirname(os.path.abspath(file))
    if os.path.isdir(file):
        raise InputError(
            f"{flag} {file}: is a folder; name a file in it (e.g. "
            f"{os.path.join(file, 'out.png' if flag == '--plot' else 'coef.csv')})"
        )
    if not os.path.isdir(folder):
        raise InputError(f"{flag} {file}: the folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise InputError(f"{flag} {file}: the folder {folder} is not writable")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 on success)."""
    with _escaping_streams():
        return _main(list(sys.argv[1:] if argv is None else argv))


@contextlib.contextmanager
def _escaping_streams():
    """Write what stdout and stderr cannot encode as backslash escapes during the run, then
    restore them: a stdout in ASCII (LC_ALL=C) or cp1252 (a Windows pipe) failed at the first
    'λ' or '×' after the fit, and --help with a traceback; a UTF-8 one at a file name that is
    not UTF-8."""
    changed = []
    for stream in (sys.stdout, sys.stderr):  # (None when closed; a StringIO has no errors)
        if _fails_to_encode(stream) and hasattr(stream, "reconfigure"):
            changed.append((stream, stream.errors))
            stream.reconfigure(errors="backslashreplace")
    try:
        yield
    finally:
        for stream, errors in changed:
            with contextlib.suppress(OSError, ValueError):  # (a pipe closed, a stream closed:
                stream.reconfigure(errors=errors)  # it flushes first; Python's exit says so)


def _fails_to_encode(stream) -> bool:
    """Whether ``stream`` raises on some of what the command line writes: its error handler is
    strict, or it is the C locale's surrogateescape (which writes the bytes of file names
    back) on an encoding without 'λ'."""
    errors = getattr(stream, "errors", None)
    if errors == "surrogateescape":
        try:
            "λ×—".encode(stream.encoding)
        except (UnicodeEncodeError, LookupError):
            return True
    return errors == "strict"


def _stdout_closed() -> int:
    """Stop quietly when stdout was closed (``| head``), as Python's docs advise: the rest of
    the output goes nowhere, not into a BrokenPipeError at the exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1


def _flush_stdout() -> None:
    """Write out the results here, where a pipe closed early (``| head``) is handled, not in
    :func:`_escaping_streams`' restoring or at the exit."""
    if sys.stdout is not None:
        sys.stdout.flush()


def _main(argv: list[str]) -> int:
    if argv[:1] == ["demo"]:
        from l1jax import demo

        try:
            demo.main(argv[1:])
            _flush_stdout()
        except BrokenPipeError:  # (a traceback: the demo ran outside the handlers below)
            return _stdout_closed()
        return 0
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if args.command == "demo":  # (demo's options are its own; the main job's do not apply)
        before = argv[: argv.index("demo")]
        _fail(f"{' '.join(before)}: options of the main job, not of demo; run python -m l1jax "
              "demo with its own options after it (python -m l1jax demo --help)")  # fmt: skip
        return 2
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    global _quiet
    _quiet = args.quiet
    if args.cv == 1:
        _fail("--cv must be 0 (no cross-validation) or at least 2 folds, got 1")
        return 2
    if args.stability and args.cv:  # (two different fits: say which one)
        _fail(f"--stability {args.stability} runs stability selection instead of the "
              f"cross-validated path: leave out --cv {args.cv}, or --stability")  # fmt: skip
        return 2
    if args.threshold is not None and not args.stability:
        _fail("--threshold is the selection probability of --stability B: add --stability "
              "(e.g. --stability 100), or leave out --threshold")  # fmt: skip
        return 2
    args.cv = 10 if args.cv is None else args.cv
    args.threshold = 0.6 if args.threshold is None else args.threshold
    if args.command == "path" and (conflict := _file_kind_conflict(args)):
        _fail(conflict)
        return 2
    table = None  # (its class labels name the classes in l1jax's messages)
    try:
        if args.command == "path":
            if args.plot and not _have_matplotlib():
                raise InputError(f"--plot needs matplotlib; {_install_matplotlib()}")
            args.plot = _plot_file(args.plot)
            for flag, file in (("--plot", args.plot), ("--out", args.out)):
                files = (*args.target, args.feature_names) if _is_npz(args.file) else ()
                _check_writable(flag, file, inputs=(args.file, *files))  # (CSV: columns)
            if _is_npz(args.file) and len(args.target) > 1:
                raise InputError("several --target columns are for a CSV FILE; with a .npz "
                                 "FILE, --target names one file of the response")  # fmt: skip
            if len(args.target) == 1:
                args.target = args.target[0]
            if _is_npz(args.file):
                table = read_npz(
                    args.file, args.target, binary=args.loss in _CLASSIFIERS, multiclass=True,
                    feature_names=args.feature_names, decimal=args.decimal,
                    encoding=args.encoding,
                )  # fmt: skip
            else:
                table = read_csv(
                    args.file, args.target, binary=args.loss in _CLASSIFIERS, multiclass=True,
                    sep=args.sep,
                    header=args.header, drop=args.drop, decimal=args.decimal,
                    encoding=args.encoding,
                )  # fmt: skip
            plots = [args.plot] if args.plot else []
            source = "standard input" if args.file == STDIN else args.file
            title = f"{os.path.basename(source)}, target {table.target!r}"
            _run(table, args, plots, source, title)
        else:
            args.out = None
            plots = [PATH_PNG, CV_PNG]
            if not _have_matplotlib():
                # (a notice, not progress: --quiet keeps it, as the README promises)
                _stderr(f"[l1jax] matplotlib is not installed, so no plots; "
                        f"{_install_matplotlib()}")  # fmt: skip
                plots = []
            source = "diabetes data (Efron et al. 2004)"
            _run(load_diabetes(), args, plots, source, f"{source}, target 'target'")
        _flush_stdout()
    except InputError as err:
        _fail(str(err))
        return 1
    except FileNotFoundError as err:
        _fail(f"no such file: {err.filename}")
        return 1
    except BrokenPipeError:  # (`| head` closed stdout)
        return _stdout_closed()
    except (OSError, UnicodeDecodeError) as err:
        _fail(f"cannot read or write a file: {err}")
        return 1
    except (ValueError, TypeError) as err:
        lines = [line for line in str(err).splitlines() if line.strip()]
        classes = table.classes if table is not None else None
        _fail(_in_cli_terms(_class_labels(lines[0], classes)) if lines else type(err).__name__)
        return 1
    except ImportError as err:
        _fail(str(err))
        return 1
    except Warning as err:  # (raised by the user's filters, -W error: matplotlib's missing
        _fail(f"{type(err).__name__}: {err}")  # glyphs escaped as a traceback)
        return 1
    return 0


_CLASSIFIERS = ("logistic", "multinomial")  # the losses of a class target


def _is_npz(file: str) -> bool:
    return file.lower().endswith(".npz")


def _file_kind_conflict(args) -> str | None:
    """The options that the kind of FILE (a CSV table, a .npz sparse matrix) has no use for."""
    if not _is_npz(args.file):
        if args.feature_names is not None:
            return ("--feature-names is for a .npz FILE; a CSV file names its columns in its "
                    "header row")  # fmt: skip
        return None
    given = [flag for flag, used in (("--drop", args.drop), ("--sep", args.sep is not None),
                                     ("--no-header", not args.header)) if used]  # fmt: skip
    if given:
        return (f"{' and '.join(given)} {'is' if len(given) == 1 else 'are'} for a CSV FILE; "
                f"{args.file} is a sparse matrix: its columns are all features, named by "
                "--feature-names, and --target is the file of the response")  # fmt: skip
    return None


def _python() -> str:
    """How to call this Python from the shell: ``python`` when that is it, else its path."""
    found = shutil.which("python")
    same = found is not None and os.path.abspath(found) == os.path.abspath(sys.executable)
    return "python" if same else sys.executable


def _install_matplotlib() -> str:
    return f"install it (l1jax's plot extra) with: {_python()} -m pip install matplotlib"


def _have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _fail(message: str) -> None:
    _stderr(f"python -m l1jax: error: {message}")
