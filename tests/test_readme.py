"""The README stays true: its quick start is two commands and its example runs."""
import re

from conftest import ROOT


def test_readme_example_runs():
    text = (ROOT / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    ns = {}
    exec(compile(code, "README.md", "exec"), ns)
    assert len(ns["runs"]) == 3 and bool(ns["ot"].converged)
    assert ns["force"].shape == (500, 2)


def test_quick_start_is_two_commands_and_ci_runs_them():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start.*?```sh\n(.*?)```", text, re.S).group(1)
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text()
    install_build, test = commands
    for step in install_build.split(" && "):
        assert step in ci, step
    assert test in ci
