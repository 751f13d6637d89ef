"""Sphinx extension: keep the Verification report truthful.

* Every build re-executes every notebook (a report from a partial build would be stale).
* Claims recorded by ``geobook.verify`` during this build go to a fresh folder, passed to the
  kernels through the environment variable ``GEOBOOK_CLAIMS_DIR``.
* JAX's persistent compilation cache lives in ``_build/.jax-cache``.
* Cross-references to names a subpackage re-exports resolve to the file that documents them.
* NamedTuple fields are not listed twice in the API reference.
* The report page is read (executed) last, so it sees every chapter's records; they are
  also written next to the HTML as ``verification.json``.
"""
import json
import os
import shutil
from pathlib import Path

REPORT = "book/verification"


def _claims_dir(app) -> Path:
    return Path(app.outdir).parent / ".geobook-claims"


def _init(app):
    d = _claims_dir(app)
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    os.environ["GEOBOOK_CLAIMS_DIR"] = str(d)
    # JAX's persistent compilation cache, inside the project's own _build/ (never the
    # reader's home): a kernel compiled by one chapter, or by an earlier build, is loaded
    # instead of compiled again. The chapters' kernels inherit the setting.
    cache = Path(app.srcdir) / "_build" / ".jax-cache"
    cache.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(cache))
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.1")


def _outdated(app, env, added, changed, removed):
    return sorted(env.found_docs - set(added) - set(changed))


def _order(app, env, docnames):
    if REPORT in docnames:
        docnames.remove(REPORT)
        docnames.append(REPORT)


def _finish(app, exc):
    if exc is not None or app.builder.format != "html":
        return
    recs = []
    for f in sorted(_claims_dir(app).glob("*.jsonl")):
        recs += [json.loads(x) for x in f.read_text().splitlines() if x.strip()]
    (Path(app.outdir) / "verification.json").write_text(json.dumps(recs, indent=1))


def _skip_namedtuple_fields(app, what, name, obj, skip, options):
    """NamedTuple fields are documented by the class's ``Attributes:`` block; autodoc would
    list each again as an undocumented property ("Alias for field number 0")."""
    if (getattr(obj, "__doc__", None) or "").startswith("Alias for field number"):
        return True
    return None


def _resolve_reexport(app, env, node, contnode):
    """Resolve a Python cross-reference to a geobook name by where it is *documented*.

    A subpackage re-exports the public names of its files, and a docstring refers to them
    by the short name (``:func:`sinkhorn_batch``` in ``geobook.transport``) or by the public
    path (``geobook.optim.sgd``); autodoc documents each under its file
    (``geobook.transport.sinkhorn.sinkhorn_batch``). Look the name up in the enclosing
    topic packages and point the reference at that entry.
    """
    if node.get("refdomain") != "py":
        return None
    import importlib

    target = node["reftarget"].lstrip("~.")
    domain = env.get_domain("py")
    candidates = []
    if target.startswith("geobook.") and "." in target:
        candidates.append(tuple(target.rsplit(".", 1)))
    parts = (node.get("py:module") or "").split(".")
    candidates += [(".".join(parts[:i]), target) for i in range(len(parts), 0, -1)
                   if parts[0] == "geobook"]
    for modname, name in candidates:
        head = name.split(".")[0]
        try:
            obj = getattr(importlib.import_module(modname), head)
        except (ImportError, AttributeError, ValueError):
            continue
        owner = getattr(obj, "__module__", None) or modname
        real = f"{owner}.{name}"
        if real not in domain.objects:
            found = [k for k in domain.objects if k.startswith(modname + ".")
                     and k.endswith("." + name)]
            if len(found) != 1:
                continue
            real = found[0]
        return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], real,
                                   node, contnode)
    return None


def setup(app):
    app.connect("missing-reference", _resolve_reexport)
    app.connect("autodoc-skip-member", _skip_namedtuple_fields)
    app.connect("builder-inited", _init)
    app.connect("env-get-outdated", _outdated)
    app.connect("env-before-read-docs", _order)
    app.connect("build-finished", _finish)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
