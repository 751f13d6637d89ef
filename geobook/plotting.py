"""The book's one figure style, colour palette, publishing and static animations.

Figures are drawn on an opaque white card with dark ink, so they read the same in the
light and dark themes of the HTML book.  Colours are the Okabe–Ito palette (distinguishable
with the common colour-vision deficiencies).  Every published figure carries alt text and
names the verified claims that back it (:func:`publish`).
"""
from __future__ import annotations

from typing import Callable, Sequence

import matplotlib

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse

from geobook import verify
from geobook._src.env import in_kernel

__all__ = ["PALETTE", "COLORS", "use_style", "figure", "publish", "animate", "ellipse",
           "regime_colors"]

#: Okabe–Ito palette, by name.
PALETTE = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
           "sky": "#56B4E9", "purple": "#CC79A7", "yellow": "#F0E442", "black": "#000000"}
COLORS = [PALETTE[k] for k in ("blue", "vermillion", "green", "orange", "purple", "sky",
                               "black")]
#: The colour of each regime (α = 0, ½ and 1), the same in every chapter.
regime_colors = {0.0: PALETTE["green"], 0.5: PALETTE["orange"], 1.0: PALETTE["blue"]}

_RC = {
    "figure.facecolor": "white", "axes.facecolor": "white", "savefig.facecolor": "white",
    "text.color": "#1a1a1a", "axes.labelcolor": "#1a1a1a", "axes.edgecolor": "#333333",
    "xtick.color": "#333333", "ytick.color": "#333333", "axes.grid": True,
    "grid.color": "#dddddd", "grid.linewidth": 0.6, "axes.spines.top": False,
    "axes.spines.right": False, "font.size": 10, "axes.titlesize": 10.5,
    "legend.frameon": False, "figure.dpi": 110, "savefig.dpi": 110,
    "axes.prop_cycle": matplotlib.cycler(color=COLORS), "lines.linewidth": 1.6,
    "animation.embed_limit": 40.0, "figure.constrained_layout.use": True,
}


def use_style() -> None:
    """Apply the book style to matplotlib's global rcParams.

    Examples:
      >>> plotting.use_style()
      >>> import matplotlib; matplotlib.rcParams["axes.facecolor"]
      'white'
    """
    matplotlib.rcParams.update(_RC)


def figure(nrows: int = 1, ncols: int = 1, *, width: float = 7.0, height: float = 3.2, **kw):
    """A new styled figure and its axes (``plt.subplots`` with the book's defaults).

    Args:
      nrows: rows of panels.
      ncols: columns of panels.
      width: figure width in inches (7 fills the book's text column).
      height: figure height in inches.
      **kw: passed on to ``plt.subplots``.

    Returns:
      ``(fig, axes)`` as from ``plt.subplots``.

    Examples:
      >>> fig, (a, b) = plotting.figure(1, 2)
      >>> [float(v) for v in fig.get_size_inches()]
      [7.0, 3.2]
      >>> plt.close(fig)
    """
    use_style()
    return plt.subplots(nrows, ncols, figsize=(width, height), **kw)


def publish(name: str, fig, *, alt: str, claims: Sequence[str]) -> None:
    """Register the figure with its alt text and backing claims, glue it as a PNG, close it.

    The chapter places it with ``{glue:figure} name`` and the same ``:alt:`` text.  The PNG is
    rendered here (not by the notebook's display hooks), so the output does not depend on
    which matplotlib backend the kernel happens to have activated. Outside a kernel the
    figure is registered and closed, nothing is glued.

    Args:
      name: the glue name of the figure.
      fig: a matplotlib figure.
      alt: alternative text (what the figure shows, for screen readers).
      claims: the passed claims of the chapter that the figure illustrates.

    Raises:
      ValueError: as :func:`geobook.verify.register_figure`.

    Examples:
      >>> verify.chapter("00_demo")
      >>> _ = verify.claim("unit", 1.0, expected=1.0, atol=0)
      >>> fig, ax = plotting.figure()
      >>> plotting.publish("fig-unit", fig, alt="An empty demonstration panel.", claims=["unit"])
      >>> verify.figures("00_demo")[0]["claims"]
      ['unit']
      >>> verify.reset()
    """
    verify.register_figure(name, alt=alt, claims=claims)
    if in_kernel():
        import io

        from IPython.display import Image
        from myst_nb import glue
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        glue(name, Image(data=buf.getvalue(), format="png"), display=False)
    plt.close(fig)


def animate(fig, update: Callable[[int], object], n_frames: int, *, interval: int = 120,
            dpi: int = 80):
    """A self-contained JavaScript animation (works on the static page, no kernel needed).

    Frames are embedded as PNGs at ``dpi``; the player needs no network (its icons are
    Unicode symbols, not a web font).

    Args:
      fig: the figure to animate (closed afterwards).
      update: ``update(i)`` redraws frame ``i``.
      n_frames: number of frames (an int >= 2).
      interval: milliseconds between frames.
      dpi: resolution of the embedded frames.

    Returns:
      An ``IPython.display.HTML`` object holding the player.

    Raises:
      ValueError: if ``n_frames`` is not an int >= 2.

    Examples:
      >>> fig, ax = plotting.figure(width=2, height=2)
      >>> line, = ax.plot([0, 1], [0, 0])
      >>> html = plotting.animate(fig, lambda i: line.set_ydata([0, i]), 2, dpi=20)
      >>> "<img" in html.data and "maxcdn" not in html.data
      True
    """
    from IPython.display import HTML
    from matplotlib import animation
    if not isinstance(n_frames, int) or n_frames < 2:
        raise ValueError(f"plotting.animate: `n_frames` must be an int >= 2; got {n_frames!r}.")
    update(0)
    fig.canvas.draw()                      # settle the layout once, then freeze it:
    fig.set_layout_engine("none")          # re-running constrained layout per frame is slow
    anim = animation.FuncAnimation(fig, update, frames=n_frames, interval=interval)
    with matplotlib.rc_context({"savefig.dpi": dpi}):
        out = HTML(_offline_jshtml(anim.to_jshtml(default_mode="loop")))
    plt.close(fig)
    return out


# matplotlib's player loads Font Awesome from a CDN for its button icons; the book is
# served offline, so drop the stylesheet and draw the icons with plain Unicode symbols.
_ICONS = {"fa fa-minus": "&#8722;", "fa fa-fast-backward": "&#9198;",
          "fa fa-step-backward": "&#9664;&#9646;", "fa fa-play fa-flip-horizontal": "&#9664;",
          "fa fa-pause": "&#9208;", "fa fa-play": "&#9654;", "fa fa-step-forward": "&#9646;&#9654;",
          "fa fa-fast-forward": "&#9197;", "fa fa-plus": "+"}


def _offline_jshtml(html: str) -> str:
    import re
    html = re.sub(r'<link[^>]*font-awesome[^>]*>', "", html, flags=re.S)
    for cls, sym in _ICONS.items():
        html = html.replace(f'<i class="{cls}"></i>', f'<span aria-hidden="true">{sym}</span>')
    if "maxcdn" in html or "<i class=\"fa" in html:
        raise RuntimeError("plotting.animate: matplotlib's player template changed; update "
                           "_offline_jshtml so the animation stays offline")
    return html


def ellipse(ax, S, center=(0.0, 0.0), *, scale: float = 1.0, **kw):
    r"""Draw the ellipse :math:`\{x : (x-c)^\top S^{-1} (x-c) = \text{scale}^2\}` of a 2×2 SPD
    matrix ``S`` (semi-axes ``scale·√λ_i`` along its eigenvectors).

    Args:
      ax: matplotlib axes.
      S: a 2×2 symmetric positive-definite matrix (e.g. a covariance).
      center: the centre ``c``.
      scale: the level (1 draws the one-standard-deviation ellipse of a covariance).
      **kw: passed on to ``matplotlib.patches.Ellipse`` (``fill`` defaults to False).

    Returns:
      The ``Ellipse`` patch added to ``ax``.

    Raises:
      ValueError: if ``S`` is not 2×2 or not positive definite.

    Examples:
      >>> fig, ax = plotting.figure()
      >>> e = plotting.ellipse(ax, [[4.0, 0.0], [0.0, 1.0]])
      >>> float(e.width), float(e.height)     # full axes 2·√4 along x, 2·√1 along y
      (4.0, 2.0)
      >>> plt.close(fig)
    """
    S = np.asarray(S, dtype=float)
    if S.shape != (2, 2):
        raise ValueError(f"plotting.ellipse: `S` must be a 2×2 matrix; got shape {S.shape}.")
    lam, V = np.linalg.eigh(0.5 * (S + S.T))
    if lam.min() <= 0:
        raise ValueError(f"plotting.ellipse: `S` must be positive definite; got eigenvalues "
                         f"{lam.tolist()}.")
    angle = np.degrees(np.arctan2(V[1, 1], V[0, 1]))
    kw.setdefault("fill", False)
    e = Ellipse(center, 2 * scale * np.sqrt(lam[1]), 2 * scale * np.sqrt(lam[0]), angle=angle,
                **kw)
    ax.add_patch(e)
    return e
