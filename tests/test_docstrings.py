"""The docstring standard of the house (optax/JAX style), checked on every public name.

Every public function documents each parameter on its own ``Args:`` line, what it returns,
and has an ``Examples:`` section with a doctest (run by ``--doctest-modules``); every
NamedTuple documents its fields in an ``Attributes:`` block.
"""
import inspect
import re

import pytest

import geobook
import geobook.plotting

MODULES = [getattr(geobook, m) for m in geobook.__all__ if not m.startswith("_")] + [
    geobook.plotting]


def _public():
    for mod in MODULES:
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"{mod.__name__.split('.')[-1]}.{name}", obj


PUBLIC = list(_public())


def _section(doc, title):
    m = re.search(rf"^{title}:\n((?:[ ]+.*\n|\n)*)", doc + "\n", flags=re.M)
    return m.group(1) if m else None


def test_every_topic_has_a_module_docstring():
    for mod in MODULES:
        assert (inspect.getdoc(mod) or "").strip(), mod.__name__


@pytest.mark.parametrize("name,obj", PUBLIC, ids=[n for n, _ in PUBLIC])
def test_docstring_standard(name, obj):
    doc = inspect.getdoc(obj) or ""
    assert doc.strip(), f"{name} has no docstring"
    if inspect.isclass(obj):
        if issubclass(obj, tuple) and hasattr(obj, "_fields"):
            attrs = _section(doc, "Attributes")
            assert attrs is not None, f"{name}: a NamedTuple needs an Attributes: block"
            for field in obj._fields:
                assert re.search(rf"^  {field}\b.*:", attrs, flags=re.M), \
                    f"{name}: field {field!r} is not documented in Attributes:"
        return
    params = [p for p in inspect.signature(obj).parameters.values()
              if p.kind not in (p.VAR_POSITIONAL,)]
    if params:
        args = _section(doc, "Args")
        assert args is not None, f"{name}: needs an Args: section"
        for p in params:
            label = f"\\*\\*{p.name}" if p.kind == p.VAR_KEYWORD else re.escape(p.name)
            assert re.search(rf"^  {label}:", args, flags=re.M), \
                f"{name}: parameter {p.name!r} needs its own Args: line"
        # one parameter per line: no "a: ... b: ..." runs on one line
        for line in args.splitlines():
            assert not re.match(r"^  \w+: .*\.\s+\w+: ", line), f"{name}: two parameters on one line: {line}"
    assert _section(doc, "Examples") is not None and ">>>" in doc, \
        f"{name}: needs an Examples: section with a doctest"
