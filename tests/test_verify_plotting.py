
import matplotlib
matplotlib.use("Agg")
import numpy as np
import pytest

from geobook import plotting, verify


def test_claim_pass_fail_and_record(tmp_path, monkeypatch):
    monkeypatch.setenv(verify.CLAIMS_ENV, str(tmp_path))
    verify.chapter("99_test", "Test chapter")
    assert verify.claim("a", 1.0005, expected=1.0, rtol=1e-3) == 1.0005
    verify.claim("b", np.float32(0.5), lower=0.0, upper=1.0)
    with pytest.raises(verify.ClaimError, match=r"claim 'c' in chapter '99_test' failed: value 2.0"):
        verify.claim("c", 2.0, expected=1.0, atol=0.5, note="deliberately wrong")
    with pytest.raises(verify.ClaimError):
        verify.claim("d", float("nan"), upper=1.0)
    recs = verify.load_records(tmp_path)
    assert [r["name"] for r in recs] == ["a", "b", "c", "d"]
    assert [r["passed"] for r in recs] == [True, True, False, False]
    html = verify.report_html(recs)
    assert "2 of 4 claims passed" in html and 'href="99_test.html#claim-a"' in html
    assert "FAILED" in html


def test_claim_argument_errors():
    with pytest.raises(RuntimeError, match="call geobook.verify.chapter"):
        verify.claim("x", 1.0, upper=2.0)
    verify.chapter("99_args")
    with pytest.raises(ValueError, match="needs a tolerance"):
        verify.claim("x", 1.0, expected=1.0)
    with pytest.raises(ValueError, match="needs `expected`"):
        verify.claim("x", 1.0)
    with pytest.raises(ValueError, match="not both"):
        verify.claim("x", 1.0, expected=1.0, rtol=0.1, upper=2.0)
    with pytest.raises(ValueError, match="must be a real scalar"):
        verify.claim("x", np.ones(3), upper=2.0)
    with pytest.raises(ValueError, match="`name` must be an identifier"):
        verify.claim("bad name", 1.0, upper=2.0)
    verify.claim("x", 1.0, upper=2.0)
    with pytest.raises(ValueError, match="already used in chapter"):
        verify.claim("x", 1.0, upper=2.0)


def test_figures_need_passed_claims_and_alt_text():
    verify.chapter("99_fig")
    verify.claim("ok", 1.0, upper=2.0)
    fig, ax = plotting.figure()
    with pytest.raises(ValueError, match="cites claim 'missing'"):
        plotting.publish("f", fig, alt="a long enough alt text", claims=["missing"])
    with pytest.raises(ValueError, match="`alt` must be a descriptive text"):
        plotting.publish("f", fig, alt="x", claims=["ok"])
    with pytest.raises(ValueError, match="at least one claim"):
        plotting.publish("f", fig, alt="a long enough alt text", claims=[])
    plotting.publish("f", fig, alt="a long enough alt text", claims=["ok"])
    assert verify.figures("99_fig")[0]["claims"] == ["ok"]


def test_plotting_helpers():
    fig, ax = plotting.figure()
    e = plotting.ellipse(ax, np.array([[4.0, 0.0], [0.0, 1.0]]))
    assert e.width == pytest.approx(4.0) and e.height == pytest.approx(2.0)
    with pytest.raises(ValueError, match=r"plotting.ellipse: `S` must be positive definite"):
        plotting.ellipse(ax, -np.eye(2))
    with pytest.raises(ValueError, match=r"plotting.ellipse: `S` must be a 2×2 matrix"):
        plotting.ellipse(ax, np.eye(3))
    html = plotting.animate(fig, lambda k: None, 2)
    assert "<script" in html.data
    with pytest.raises(ValueError, match="n_frames"):
        plotting.animate(fig, lambda k: None, 1)
    assert len(plotting.COLORS) >= 6
