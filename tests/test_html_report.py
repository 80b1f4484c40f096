"""`jitopt report`: one self-contained HTML page of a plan folder. Checked here without a
browser: nothing is fetched from a network, every chart is a PNG inside the page that decodes to
a non-blank image, and the headline holds summary.json's numbers. (The check in a real headless
browser that issue 14 asks for is not built yet.)"""

from __future__ import annotations

import base64
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.image import imread

from jitopt.cli import main
from jitopt.metrics import metric_rows

DEMO = Path(__file__).resolve().parents[1] / "instances" / "demo"


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.links, self.cells = [], [], []
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        for key in ("src", "href"):
            if key in attrs and tag != "img":
                self.links.append(attrs[key])
        if tag == "td":
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.cells.append(self._cell)
            self._cell = None


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "plan"
    result = CliRunner().invoke(main, ["solve", str(DEMO), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


def test_the_page_holds_everything_it_shows(plan_dir):
    result = CliRunner().invoke(main, ["report", str(plan_dir), "--instance", str(DEMO)])
    assert result.exit_code == 0, result.output
    text = (plan_dir / "report.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text)  # nothing to fetch
    assert "@import" not in text and "url(" not in text
    items = 8  # the demo's
    assert len(page.images) == 4 + items
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        image = imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])), format="png")
        assert image.shape[0] > 100 and image.shape[1] > 300
        assert np.std(image[..., :3]) > 0.01  # not blank
    summary = json.loads((plan_dir / "summary.json").read_text())
    pairs = list(zip(page.cells[::2], page.cells[1::2]))
    assert pairs == metric_rows(summary)


def test_where_the_page_goes(plan_dir, tmp_path):
    runner = CliRunner()
    foreign = tmp_path / "mine.html"
    foreign.write_text("my notes")
    result = runner.invoke(main, ["report", str(plan_dir), "-o", str(foreign)])
    assert result.exit_code == 2 and "not a report jitopt wrote" in result.output
    assert foreign.read_text() == "my notes"
    ours = tmp_path / "r.html"
    for _ in range(2):  # a report jitopt wrote is replaced
        assert runner.invoke(main, ["report", str(plan_dir), "-o", str(ours)]).exit_code == 0
    assert ours.read_text().startswith("<!doctype html>")
    result = runner.invoke(main, ["report", str(tmp_path), "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 2
    assert not (tmp_path / "x.html").exists()


def test_a_new_plan_drops_the_old_report(tmp_path):
    runner = CliRunner()
    out = tmp_path / "plan"
    make = ["plan", str(DEMO), "--policy", "jit", "-o", str(out)]
    assert runner.invoke(main, make).exit_code == 0
    assert runner.invoke(main, ["report", str(out)]).exit_code == 0
    assert (out / "report.html").is_file()
    (out / "notes.txt").write_text("mine")
    assert runner.invoke(main, make).exit_code == 0
    assert not (out / "report.html").exists()  # it showed the old plan
    assert (out / "notes.txt").read_text() == "mine"
