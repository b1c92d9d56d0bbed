"""The README's Python example runs against a real server and prints what it promises."""

from __future__ import annotations

import contextlib
import io
import re

from helpers import REPO


def test_readme_python_example_runs(server_url: str) -> None:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Python") :]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "the README's Python section has an example"
    assert len(code.group(1).strip().splitlines()) <= 10
    source = code.group(1).replace("http://127.0.0.1:8000", server_url)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "README.md", "exec"), {})  # noqa: S102 - the README's own example
    lines = out.getvalue().splitlines()
    assert lines[0].strip(), "the user's opening request is printed"
    assert lines[-1].startswith("True 0.0 {"), lines[-1]
