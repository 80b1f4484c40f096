"""The README's instance format section is the one generated from jitopt/schema.py."""

from pathlib import Path

from jitopt.schema import format_reference


def test_readme_format_reference_is_current():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("-->\n", readme.index("<!-- format reference")) + 4
    end = readme.index("<!-- end format reference -->")
    assert readme[start:end].strip() == format_reference().strip()
