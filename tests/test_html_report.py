"""`jitopt report`: one self-contained HTML page of a plan folder or a comparison folder.

Checked first without a browser: nothing refers to a network, every chart is a PNG inside the
page that decodes to a non-blank image, the headline holds summary.json's numbers. Then the
pages are opened in headless Chromium with the network cut off: nothing is fetched, every image
has loaded, the headline cells are summary.json's (comparison.csv's), the screenshot is not
blank."""

from __future__ import annotations

import base64
import html
import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
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


# -- in a real browser --------------------------------------------------------------------------

PROBE = """<script>
window.addEventListener("load", () => {
  const images = [...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight]);
  const fetched = performance.getEntriesByType("resource").map(r => r.name);
  const cells = [...document.querySelectorAll("#headline td")].map(td => td.textContent);
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify({images, fetched, cells});
  document.body.appendChild(pre);
});
</script>"""


def browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "no headless browser here: install Debian's chromium (apt-get install chromium); "
        ".ci/run installs it where it can"
    )


def in_browser(page: Path, tmp_path: Path) -> tuple[dict, np.ndarray]:
    """Open a copy of ``page`` with a probe script in headless Chromium, with every network
    request bound to fail (a dead proxy, no name resolution): what the page loaded, its
    images' sizes and headline cells, and a screenshot 1366 pixels wide."""
    copy = tmp_path / "probed.html"
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"))
    offline = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--no-first-run",
        "--disable-background-networking",
        "--window-size=1366,1400",
    ]
    run = [browser(), *offline, "--virtual-time-budget=10000"]
    dom = subprocess.run(
        [*run, "--dump-dom", copy.as_uri()], capture_output=True, text=True, timeout=120
    ).stdout
    probe = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert probe, dom[-2000:]
    shot = tmp_path / "shot.png"
    subprocess.run(
        [*run, f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120
    )
    return json.loads(html.unescape(probe.group(1))), imread(shot)


def test_the_plan_page_in_a_browser(plan_dir, tmp_path):
    made = CliRunner().invoke(main, ["report", str(plan_dir), "--instance", str(DEMO)])
    assert made.exit_code == 0, made.output
    probe, shot = in_browser(plan_dir / "report.html", tmp_path)
    assert probe["fetched"] == []  # nothing loaded from outside the page
    assert len(probe["images"]) == 12
    assert all(done and width > 300 and height > 100 for done, width, height in probe["images"])
    summary = json.loads((plan_dir / "summary.json").read_text())
    assert list(zip(probe["cells"][::2], probe["cells"][1::2])) == [
        tuple(pair) for pair in metric_rows(summary)
    ]
    assert shot.shape[1] == 1366 and np.std(shot[..., :3]) > 0.05  # rendered, not blank


def test_the_comparison_page_in_a_browser(tmp_path):
    out = tmp_path / "compare"
    args = ["compare", str(DEMO), "--policy", "jit", "--policy", "rolling:jit,every=4"]
    result = CliRunner().invoke(main, [*args, "--scenarios", "12", "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(main, ["report", str(out)]).exit_code == 0
    probe, shot = in_browser(out / "report.html", tmp_path)
    assert probe["fetched"] == []
    assert len(probe["images"]) == 2  # the frontier and the scenario costs
    assert all(done and width > 300 for done, width, _ in probe["images"])
    table = pd.read_csv(out / "comparison.csv")
    cells = probe["cells"]
    width = len(cells) // len(table)
    for k, row in enumerate(table.itertuples(index=False)):
        line = cells[k * width : (k + 1) * width]
        assert line[1] == row.policy
        assert line[2] == f"{row.expected_cost:,.0f}" and line[3] == f"{row.cvar:,.0f}"
        assert line[-1] == ("yes" if row.efficient else "")
    assert np.std(shot[..., :3]) > 0.05
