"""Where the code runs (a Jupyter kernel or a plain interpreter)."""


def in_kernel() -> bool:
    """True inside a Jupyter/IPython kernel (where display and glue make sense)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None
