r"""Verified numbers: every number a chapter states is computed, checked and recorded.

``claim(name, value, expected=..., rtol=...)`` checks a computed value against a reference
(or bounds), raises :class:`ClaimError` if the check fails — so a wrong derivation fails the
build, not just a stale sentence — glues the value for ``{glue:text}`` use in the prose, and
records it.  The book's *Verification report* lists every record of the same build.

Records go to memory and, when the environment variable ``GEOBOOK_CLAIMS_DIR`` is set (the
book build sets it), to ``<dir>/<chapter>.jsonl``.
"""
from __future__ import annotations

import html
import json
import math
import os
import re
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from geobook._src.env import in_kernel

__all__ = ["ClaimError", "chapter", "claim", "reported", "register_figure", "records", "figures",
           "load_records", "report_html", "show_report", "reset", "CLAIMS_ENV"]

CLAIMS_ENV = "GEOBOOK_CLAIMS_DIR"
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
_STATE: dict[str, Any] = {"chapter": None, "title": None, "records": [], "figures": []}


class ClaimError(AssertionError):
    """A computed value does not satisfy its stated reference or bound."""


def reset() -> None:
    """Forget every in-memory record (does not touch files).

    Examples:
      >>> verify.reset()
      >>> verify.records()
      []
    """
    _STATE.update(chapter=None, title=None, records=[], figures=[])


def chapter(slug: str, title: Optional[str] = None) -> None:
    """Declare the chapter whose claims follow.

    Forgets earlier records of the same chapter and, when ``GEOBOOK_CLAIMS_DIR`` is set,
    empties its record file, so a re-executed chapter is reported once.

    Args:
      slug: the chapter's file name without ``.md`` (letters, digits, ``_``, ``-``).
      title: the title shown in the report (default: ``slug``).

    Raises:
      ValueError: if ``slug`` is not a file stem.

    Examples:
      >>> verify.chapter("00_demo", "A demonstration")
      >>> verify.reset()
    """
    if not isinstance(slug, str) or not re.match(r"^[A-Za-z0-9_\-]+$", slug):
        raise ValueError(f"verify.chapter: `slug` must be a file stem like '01_learning'; "
                         f"got {slug!r}.")
    _STATE.update(chapter=slug, title=title or slug)
    _STATE["records"] = [r for r in _STATE["records"] if r["chapter"] != slug]
    _STATE["figures"] = [f for f in _STATE["figures"] if f["chapter"] != slug]
    d = os.environ.get(CLAIMS_ENV)
    if d:
        Path(d).mkdir(parents=True, exist_ok=True)
        (Path(d) / f"{slug}.jsonl").write_text("")


def _current() -> str:
    if _STATE["chapter"] is None:
        raise RuntimeError("verify: call geobook.verify.chapter(slug) before the first claim.")
    return _STATE["chapter"]


def _new_name(fn: str, name) -> str:
    """The current chapter, after checking that ``name`` is a new identifier in it."""
    chap = _current()
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"{fn}: `name` must be an identifier (letters, digits, '_', '-'); "
                         f"got {name!r}.")
    if any(r["name"] == name for r in _STATE["records"] if r["chapter"] == chap):
        raise ValueError(f"{fn}: `name` {name!r} is already used in chapter {chap!r}.")
    return chap


def _write(rec: dict) -> None:
    d = os.environ.get(CLAIMS_ENV)
    if d:
        Path(d).mkdir(parents=True, exist_ok=True)
        with open(Path(d) / f"{rec['chapter']}.jsonl", "a") as fh:
            fh.write(json.dumps(rec) + "\n")


def _scalar(fn, arg, v):
    if v is None:
        return None
    a = np.asarray(v)
    if a.shape != () or not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
        raise ValueError(f"{fn}: `{arg}` must be a real scalar; got {a.dtype} of shape {a.shape}.")
    x = a.item()
    return float(x) if isinstance(x, (float, np.floating)) else (
        bool(x) if isinstance(x, (bool, np.bool_)) else int(x))


def _fmt(x) -> str:
    if x is None:
        return ""
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    if x == 0 or (1e-3 <= abs(x) < 1e5):
        return f"{x:.6g}"
    return f"{x:.4e}"


def claim(name: str, value, *, expected=None, rtol=None, atol=None, lower=None, upper=None,
          note: str = "", display: bool = True, identity: bool = False):
    r"""Check, record and glue a computed number; return it.

    Exactly one kind of check is made:

    * ``expected`` with ``rtol`` and/or ``atol``: passes iff
      :math:`|v - e| \le \mathrm{atol} + \mathrm{rtol}\,|e|`;
    * ``lower`` and/or ``upper``: passes iff ``lower <= value <= upper``.

    Inside a Jupyter kernel the value is also glued (``myst_nb.glue``) under ``name`` and a
    "verified" badge is shown; elsewhere (scripts, tests) the check and the record are made
    all the same.

    Args:
      name: identifier used by ``{glue:text}`name``` in the prose and in the report.
      value: a real scalar (a Python number or a 0-d array).
      expected: the reference value (with ``rtol`` and/or ``atol``).
      rtol: relative tolerance (>= 0) of the comparison with ``expected``.
      atol: absolute tolerance (>= 0) of the comparison with ``expected``.
      lower: lower bound (inclusive), instead of ``expected``.
      upper: upper bound (inclusive), instead of ``expected``.
      note: what the check means (shown in the report).
      display: show a small "verified" badge in the cell output (with an anchor the report
        links to).
      identity: True when the check compares a formula with an evaluation of the same
        formula (a consistency check of the code, not a measurement); the report lists it as
        an identity.

    Returns:
      ``value``, unchanged.

    Raises:
      ClaimError: if the check fails (the record is kept, marked failed).
      ValueError: if the arguments do not define a check, or the name is not an identifier
        or is already used in this chapter.
      RuntimeError: if no chapter was declared with :func:`chapter`.

    Examples:
      >>> verify.chapter("00_demo")
      >>> verify.claim("pi_approx", 355 / 113, expected=float(np.pi), rtol=1e-6)
      3.1415929...
      >>> verify.claim("too_big", 2.0, upper=1.0)
      Traceback (most recent call last):
      ...
      geobook.verify.ClaimError: claim 'too_big' in chapter '00_demo' failed: value 2.0 does not satisfy value ≤ 1.
      >>> [r["passed"] for r in verify.records("00_demo")]
      [True, False]
      >>> verify.reset()
    """
    chap = _new_name("verify.claim", name)
    v = _scalar("verify.claim", "value", value)
    e = _scalar("verify.claim", "expected", expected)
    rt, at = _scalar("verify.claim", "rtol", rtol), _scalar("verify.claim", "atol", atol)
    lo, hi = _scalar("verify.claim", "lower", lower), _scalar("verify.claim", "upper", upper)
    if e is not None:
        if lo is not None or hi is not None:
            raise ValueError("verify.claim: give either `expected` (with rtol/atol) or bounds "
                             f"(lower/upper), not both; got expected={e!r}, lower={lo!r}, "
                             f"upper={hi!r}.")
        if rt is None and at is None:
            raise ValueError(f"verify.claim: `expected` needs a tolerance `rtol` and/or `atol` "
                             f"(use 0 for exact); got neither for {name!r}.")
        for arg, t in (("rtol", rt), ("atol", at)):
            if t is not None and not (t >= 0 and math.isfinite(t)):
                raise ValueError(f"verify.claim: `{arg}` must be finite and >= 0; got {t!r}.")
        tol = (at or 0.0) + (rt or 0.0) * abs(e)
        passed = bool(math.isfinite(v) and abs(v - e) <= tol)
        parts = [f"|value − {_fmt(e)}| ≤ {_fmt(tol)}"]
        criterion = parts[0] + (f" (rtol {_fmt(rt)})" if rt else "") + (
            f" (atol {_fmt(at)})" if at else "")
    else:
        if lo is None and hi is None:
            raise ValueError(f"verify.claim: {name!r} needs `expected` (with a tolerance) or a "
                             "bound `lower`/`upper`; got none.")
        passed = bool(math.isfinite(v) and (lo is None or v >= lo) and (hi is None or v <= hi))
        criterion = " ≤ ".join(s for s in (_fmt(lo), "value", _fmt(hi)) if s)
    rec = dict(chapter=chap, title=_STATE["title"], name=name, value=v, expected=e, rtol=rt,
               atol=at, lower=lo, upper=hi, criterion=criterion, note=note, passed=passed,
               kind="claim", identity=bool(identity))
    _STATE["records"].append(rec)
    _write(rec)
    if not passed:
        raise ClaimError(f"claim {name!r} in chapter {chap!r} failed: value {v!r} does not "
                         f"satisfy {criterion}. {note}".strip())
    if in_kernel():
        from myst_nb import glue
        glue(name, v, display=False)
        if display:
            from IPython.display import HTML, display as show
            show(HTML(f'<span class="geobook-claim" id="claim-{name}">&#10004; '
                      f'<code>{html.escape(name)}</code> = {html.escape(_fmt(v))} '
                      f'<small>({html.escape(criterion)})</small></span>'))
    return value


def reported(name: str, value, *, note: str, fmt: Optional[str] = None):
    """Record and glue a *reported* number: a descriptive value the prose states but that no
    check asserts (an iteration count, a grid size, a setting derived in code).

    The verification report lists reported values apart from claims, so a reader can tell
    a measurement that could have failed from a number that is only described.

    Args:
      name: identifier used by ``{glue:text}`name``` in the prose and in the report.
      value: a real scalar.
      note: what the number is (shown in the report); required.
      fmt: a format spec (e.g. ``".2f"``) to glue a formatted string instead of the number.

    Returns:
      ``value``, unchanged.

    Raises:
      ValueError: if the name is not an identifier, is already used in this chapter, or
        ``note`` is empty.

    Examples:
      >>> verify.chapter("00_demo")
      >>> verify.reported("n_iter", 42, note="Sinkhorn iterations to tolerance")
      42
      >>> [(r["name"], r["kind"]) for r in verify.records("00_demo")]
      [('n_iter', 'reported')]
      >>> verify.reset()
    """
    chap = _new_name("verify.reported", name)
    if not isinstance(note, str) or not note.strip():
        raise ValueError(f"verify.reported: `note` must say what {name!r} is; got {note!r}.")
    v = _scalar("verify.reported", "value", value)
    rec = dict(chapter=chap, title=_STATE["title"], name=name, value=v, note=note, passed=True,
               kind="reported")
    _STATE["records"].append(rec)
    _write(rec)
    if in_kernel():
        from myst_nb import glue
        glue(name, format(v, fmt) if fmt else v, display=False)
    return value


def register_figure(name: str, *, alt: str, claims: Sequence[str]) -> None:
    """Record a figure and the passed claims that back it (called by ``plotting.publish``).

    Args:
      name: the figure's glue name.
      alt: its alternative text (at least 10 characters).
      claims: names of claims of the current chapter that passed and that the figure shows.

    Raises:
      ValueError: if ``alt`` is too short, no claim is given, or a claim has not passed.

    Examples:
      >>> verify.chapter("00_demo")
      >>> _ = verify.claim("slope", 0.98, expected=1.0, atol=0.05)
      >>> verify.register_figure("fig-slope", alt="A line of slope one.", claims=["slope"])
      >>> [f["name"] for f in verify.figures("00_demo")]
      ['fig-slope']
      >>> verify.reset()
    """
    chap = _current()
    if not isinstance(alt, str) or len(alt.strip()) < 10:
        raise ValueError(f"verify.register_figure: `alt` must be a descriptive text (>= 10 "
                         f"characters); got {alt!r}.")
    claims = list(claims) if not isinstance(claims, str) else [claims]
    if not claims:
        raise ValueError(f"verify.register_figure: figure {name!r} must be backed by at least "
                         "one claim; got none.")
    known = {r["name"]: r for r in _STATE["records"]
             if r["chapter"] == chap and r["kind"] == "claim"}
    for c in claims:
        if c not in known or not known[c]["passed"]:
            raise ValueError(f"verify.register_figure: figure {name!r} cites claim {c!r}, which "
                             f"has not passed in chapter {chap!r}.")
    rec = dict(chapter=chap, title=_STATE["title"], name=name, alt=alt, claims=claims,
               kind="figure")
    _STATE["figures"].append(rec)
    _write(rec)


def records(chapter: Optional[str] = None) -> list[dict]:
    """The in-memory records (claims and reported values) of one chapter, or of all.

    Args:
      chapter: a chapter slug, or None for every chapter.

    Returns:
      A list of record dicts (``kind`` is ``"claim"`` or ``"reported"``).

    Examples:
      >>> verify.chapter("00_demo")
      >>> _ = verify.claim("one", 1, expected=1, atol=0)
      >>> [(r["name"], r["passed"]) for r in verify.records("00_demo")]
      [('one', True)]
      >>> verify.reset()
    """
    return [r for r in _STATE["records"] if chapter is None or r["chapter"] == chapter]


def figures(chapter: Optional[str] = None) -> list[dict]:
    """The in-memory figure records of one chapter, or of all; see :func:`register_figure`.

    Args:
      chapter: a chapter slug, or None for every chapter.

    Returns:
      A list of figure record dicts (name, alt text, backing claims).

    Examples:
      >>> verify.chapter("00_demo")
      >>> verify.figures("00_demo")
      []
      >>> verify.reset()
    """
    return [r for r in _STATE["figures"] if chapter is None or r["chapter"] == chapter]


def load_records(directory) -> list[dict]:
    """Read every ``*.jsonl`` record file written during a build.

    Args:
      directory: the folder named by ``GEOBOOK_CLAIMS_DIR`` during the build.

    Returns:
      The claim and figure records, chapter by chapter, in the order they were made.

    Examples:
      >>> import os, tempfile
      >>> d = tempfile.mkdtemp()
      >>> os.environ[verify.CLAIMS_ENV] = d
      >>> verify.chapter("00_demo")
      >>> _ = verify.claim("one", 1, expected=1, atol=0)
      >>> [r["name"] for r in verify.load_records(d)]
      ['one']
      >>> del os.environ[verify.CLAIMS_ENV]; verify.reset()
    """
    out = []
    for f in sorted(Path(directory).glob("*.jsonl")):
        out += [json.loads(line) for line in f.read_text().splitlines() if line.strip()]
    return out


def report_html(recs: list[dict]) -> str:
    """The verification report: one table per chapter, a row per claim, links back.

    Args:
      recs: records as returned by :func:`load_records` or :func:`records`.

    Returns:
      An HTML fragment.

    Examples:
      >>> verify.chapter("00_demo")
      >>> _ = verify.claim("one", 1, expected=1, atol=0)
      >>> "1 of 1 claims passed" in verify.report_html(verify.records())
      True
      >>> verify.reset()
    """
    claims = [r for r in recs if r.get("kind") == "claim"]
    figs = [r for r in recs if r.get("kind") == "figure"]
    reps = [r for r in recs if r.get("kind") == "reported"]
    n_pass = sum(r["passed"] for r in claims)
    n_id = sum(bool(r.get("identity")) for r in claims)
    chapters = list(dict.fromkeys(r["chapter"] for r in claims))
    out = [f'<p class="geobook-report-summary"><strong>{n_pass} of {len(claims)} claims '
           f'passed</strong> in {len(chapters)} chapters ({len(claims) - n_id} measurements and '
           f'{n_id} identities — a formula checked against its own evaluation); {len(figs)} '
           f'figures, each backed by at least one claim; {len(reps)} reported values, '
           'described but not asserted, listed after each chapter\'s claims.</p>']
    for ch in chapters:
        rows = [r for r in claims if r["chapter"] == ch]
        title = html.escape(rows[0]["title"] or ch)
        nfig = sum(f["chapter"] == ch for f in figs)
        out.append(f'<h3><a href="{ch}.html">{title}</a></h3><p>{len(rows)} claims, '
                   f'{nfig} figures.</p>')
        out.append('<table class="geobook-report table"><thead><tr><th>claim</th>'
                   '<th>value</th><th>check</th><th>pass</th><th>meaning</th></tr></thead><tbody>')
        for r in rows:
            mark = "&#10004;" if r["passed"] else "&#10008; FAILED"
            kind = " <small>(identity)</small>" if r.get("identity") else ""
            out.append(f'<tr><td><a href="{ch}.html#claim-{r["name"]}"><code>'
                       f'{html.escape(r["name"])}</code></a>{kind}</td><td>{_fmt(r["value"])}</td>'
                       f'<td>{html.escape(r["criterion"])}</td><td>{mark}</td>'
                       f'<td>{html.escape(r["note"])}</td></tr>')
        out.append("</tbody></table>")
        rep = [r for r in reps if r["chapter"] == ch]
        if rep:
            out.append(f'<p>Reported values (not asserted) in <a href="{ch}.html">{title}</a>:'
                       '</p><table class="geobook-report table"><thead><tr><th>value</th>'
                       '<th></th><th>what it is</th></tr></thead><tbody>')
            out += [f'<tr><td><code>{html.escape(r["name"])}</code></td><td>{_fmt(r["value"])}'
                    f'</td><td>{html.escape(r["note"])}</td></tr>' for r in rep]
            out.append("</tbody></table>")
    return "\n".join(out)


def show_report():
    """Display the report of the current build (used by the book's report page).

    Returns:
      The records shown (empty when ``GEOBOOK_CLAIMS_DIR`` is not set: outside a build).

    Examples:
      Outside a build there is nothing to show:

      >>> import os
      >>> os.environ.pop(verify.CLAIMS_ENV, None) is None or True
      True
      >>> verify.show_report()
      <IPython.core.display.HTML object>
      []
    """
    from IPython.display import HTML, display
    d = os.environ.get(CLAIMS_ENV)
    if not d or not Path(d).exists():
        display(HTML("<p>No build records found: this page is filled in by "
                     "<code>jupyter-book build</code>, which executes every chapter first.</p>"))
        return []
    recs = load_records(d)
    display(HTML(report_html(recs)))
    return recs
