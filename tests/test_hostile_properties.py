"""Property test of the whole command: valid instances corrupted at random (a cell, a number's
magnitude, a file, an encoding) give exit 0 with a plan the checker accepts, exit 2 with a
message naming a file, or exit 3 with its conflict: never a traceback, a crash (exit 1) or a
wrong plan."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jitopt
from jitopt.check import check_solution
from jitopt.cli import main
from tests.hostile import TINY, tiny

TABLE_FILES = [name for name in TINY if name.endswith(".csv")]
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**25), 10**25),
    st.sampled_from(["1e15", "1e-12", "1e300", "-0", "0x10", "1_000", "１２", "inf", "NaN"]),
)
TEXT = st.text(min_size=0, max_size=12)


@st.composite
def corruption(draw):
    kind = draw(st.sampled_from(["cell", "magnitude", "file", "encoding", "toml"]))
    if kind == "cell":
        file = draw(st.sampled_from(TABLE_FILES))
        rows = TINY[file].splitlines()
        row = draw(st.integers(0, len(rows) - 1))
        col = draw(st.integers(0, len(rows[0].split(",")) - 1))
        value = draw(st.one_of(NUMBERS.map(str), TEXT))
        return kind, file, row, col, value
    if kind == "magnitude":
        file = draw(st.sampled_from(TABLE_FILES))
        rows = TINY[file].splitlines()
        row = draw(st.integers(1, len(rows) - 1))
        cells = rows[row].split(",")
        numeric = [k for k, c in enumerate(cells) if c.replace(".", "").isdigit()]
        if not numeric:
            return "none", None, None, None, None
        col = draw(st.sampled_from(numeric))
        return kind, file, row, col, draw(st.integers(-15, 20))
    if kind == "file":
        file = draw(st.sampled_from([*TINY, "price_breaks.csv"]))
        how = draw(st.sampled_from(["delete", "empty", "folder", "upper", "truncate", "txt"]))
        return kind, file, how, draw(st.integers(1, 40)), None
    if kind == "encoding":
        file = draw(st.sampled_from(list(TINY)))
        how = draw(st.sampled_from(["latin-1", "utf-16", "bom", "nul", "crlf"]))
        return kind, file, how, None, None
    key = draw(st.sampled_from(["periods", "shortage", "warehouse_capacity", "start", "name"]))
    value = draw(st.one_of(NUMBERS.map(str), TEXT.map(lambda t: '"' + t.replace('"', "") + '"')))
    return kind, "instance.toml", key, value, None


def corrupt(path: Path, change) -> None:
    kind, file, a, b, c = change
    if kind == "cell":
        rows = (path / file).read_text().splitlines()
        cells = rows[a].split(",")
        cells[b] = c.replace("\n", " ").replace(",", ";")
        rows[a] = ",".join(cells)
        (path / file).write_text("\n".join(rows) + "\n")
    elif kind == "magnitude":
        rows = (path / file).read_text().splitlines()
        cells = rows[a].split(",")
        cells[b] = repr(float(cells[b]) * 10.0**c)
        rows[a] = ",".join(cells)
        (path / file).write_text("\n".join(rows) + "\n")
    elif kind == "file":
        target = path / file
        if a == "delete":
            target.unlink(missing_ok=True)
        elif a == "empty":
            target.write_text("")
        elif a == "folder":
            target.unlink(missing_ok=True)
            target.mkdir()
        elif a == "upper" and target.exists():
            target.rename(path / file.upper())
        elif a == "truncate" and target.exists():
            target.write_bytes(target.read_bytes()[:b])
        elif a == "txt" and target.exists():
            target.rename(path / (file + ".txt"))
    elif kind == "encoding":
        target = path / file
        text = target.read_text()
        if a == "latin-1":
            target.write_bytes((text + "é").encode("latin-1"))
        elif a == "utf-16":
            target.write_bytes(text.encode("utf-16"))
        elif a == "bom":
            target.write_bytes(b"\xef\xbb\xbf" + text.encode())
        elif a == "nul":
            target.write_bytes(text.encode().replace(b"A", b"A\0", 1))
        else:
            target.write_bytes(text.replace("\n", "\r\n").encode())
    elif kind == "toml":
        (path / file).write_text(TINY["instance.toml"] + f"{a} = {b}\n")


@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(corruption())
def test_a_corrupted_instance_gives_a_checked_plan_or_a_clear_message(change):
    with tempfile.TemporaryDirectory() as tmp:
        inst, out = tiny(Path(tmp) / "inst"), Path(tmp) / "out"
        corrupt(inst, change)
        result = CliRunner().invoke(
            main, ["solve", str(inst), "-o", str(out), "--time-limit", "20"]
        )
        text = result.output
        assert "Traceback" not in text and "(run with --debug" not in text, (change, text)
        assert result.exit_code in (0, 2, 3), (change, result.exit_code, text)
        if result.exit_code == 0:
            report = check_solution(jitopt.read_instance(inst), out)
            assert report.ok, (change, report.problems[:3], report.unreadable)
        elif result.exit_code == 2:
            names = [*TINY, "price_breaks.csv", change[1] or "", str(inst)]
            named = [n for n in names if n and n.split(".")[0].lower() in text.lower()]
            assert named, (change, text)
            assert not out.exists() or not any(out.iterdir()), (change, "written on exit 2")
        shutil.rmtree(inst, ignore_errors=True)
