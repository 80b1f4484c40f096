"""The live view of `jitopt solve` (issue 14): under a real terminal (a pty) a one-line display
updates while the search runs, ends on the numbers of the final summary and leaves no trace;
in a pipe or with --quiet there is none. In Python, ``progress=`` gets the same snapshots."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import termios
from pathlib import Path

import pytest

import jitopt
from tests.test_interrupts import JITOPT

ROOT = Path(__file__).resolve().parents[1]
LINE = re.compile(
    r"solving (\d+) s \(Ctrl-C keeps the best\)  best ([\d,]+) \((HiGHS|heuristic)\)  "
    r"gap ([\d.]+)%  bound ([\d,]+)"
)


def in_terminal(args: list[str], columns: int = 80) -> tuple[int, str]:
    """Run `jitopt ARGS` with stdin, stdout and stderr on a pseudo-terminal ``columns`` wide:
    its exit code and every byte it wrote to the terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}  # the pty's
    proc = subprocess.Popen(
        [JITOPT, *args], stdin=slave, stdout=slave, stderr=slave, close_fds=True, env=env
    )
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the other side closed
                break
            if not data:
                break
            out += data
        elif proc.poll() is not None:
            break
    proc.wait(timeout=120)
    os.close(master)
    return proc.returncode, out.decode("utf-8", errors="replace")


def number(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_view_updates_ends_on_the_summary_and_leaves_no_trace(tmp_path):
    out = tmp_path / "plan"
    args = ["solve", str(ROOT / "instances" / "demo"), "-o", str(out)]
    code, screen = in_terminal(args, columns=120)
    assert code == 0, screen
    lines = LINE.findall(screen)
    assert len({line[:2] for line in lines}) >= 3, screen[:2000]  # it changed as time went on
    summary = json.loads((out / "summary.json").read_text())
    *_, (seconds, best, source, gap, bound) = lines
    assert number(best) == pytest.approx(summary["objective"], abs=0.5)  # shown rounded
    assert number(bound) == pytest.approx(summary["bound"], abs=0.5)
    # each line is erased ("\r" then erase-line) before the report is printed
    last = screen.rfind("Ctrl-C keeps the best")
    report = screen.find("demo: optimal")
    assert last < report
    assert "\x1b[2K" in screen[last:report]
    assert "solving" not in screen[report:]


def test_a_narrow_terminal_keeps_the_start_of_the_line(tmp_path):
    """80 columns: the line is cut at its end (no wrapping), so how to stop stays in view."""
    code, screen = in_terminal(["solve", str(ROOT / "instances" / "demo"), "-o", str(tmp_path)])
    assert code == 0
    shown = re.findall(r"solving \d+ s \(Ctrl-C keeps the best\)[^\r\n]*", screen)
    assert shown and all(len(line) <= 80 for line in shown)
    assert any(line.endswith("…") for line in shown)


def test_no_view_in_a_pipe_or_with_quiet(tmp_path):
    args = ["solve", str(ROOT / "instances" / "demo"), "-o", str(tmp_path / "a")]
    piped = subprocess.run([JITOPT, *args], capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0
    assert "solving" not in piped.stdout + piped.stderr
    assert "\x1b[" not in piped.stderr
    code, screen = in_terminal(
        ["solve", str(ROOT / "instances" / "demo"), "-o", str(tmp_path / "b"), "--quiet"]
    )
    assert code == 0
    assert "solving" not in screen


def test_progress_in_python_gets_the_same_snapshots():
    seen = []
    plan = jitopt.solve(jitopt.read_instance(ROOT / "instances" / "demo"), progress=seen.append)
    assert len(seen) >= 2
    assert [s.seconds for s in seen] == sorted(s.seconds for s in seen)
    last = seen[-1]
    assert last.objective == pytest.approx(plan.summary["objective"], rel=1e-6)
    assert last.bound == pytest.approx(plan.summary["bound"], rel=1e-6)
    assert last.source in ("HiGHS", "heuristic")
