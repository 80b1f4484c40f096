"""The user's folders (report family 3, B4-3, B4-4): a command writes only into a new, empty or
jitopt-written folder, keeps every file it did not write, and leaves one run's complete set
whatever fails, is killed or runs next to it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import jitopt
from jitopt.check import check_solution
from jitopt.cli import main
from jitopt.files import OutputFolder
from tests.hostile import ROOT, both, shipped, sub, tiny

# 100 units of B on hand, room for 5: no plan can get rid of them
INFEASIBLE = both(
    sub("instance.toml", 'shortage = "backlog"\n', "warehouse_capacity = 5\n"),
    sub("items.csv", "B,0.5,10,0", "B,0.5,10,100"),
)


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def user_folder(path: Path) -> Path:
    path.mkdir()
    for name in ("orders.csv", "inventory.csv", "scenarios.csv", "outages.csv"):
        (path / name).write_text("my data\n")
    (path / "summary.json").write_text('{"mine": true}\n')
    (path / "keep.txt").write_text("keep\n")
    return path


@pytest.fixture
def inst(tmp_path):
    return tiny(tmp_path / "inst")


# -- what may be written -----------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["optimal", "infeasible"])
def test_b3_1_b3_3_a_folder_of_the_users_is_refused_before_any_work(tmp_path, inst, outcome):
    if outcome == "infeasible":
        INFEASIBLE(inst)
    out = user_folder(tmp_path / "u")
    before = snapshot(out)
    result = run("solve", inst, "-o", out)
    assert result.exit_code == 2, result.output
    assert "holds files that jitopt did not write" in result.output
    assert "'keep.txt'" in result.output and "optimal" not in result.output
    assert snapshot(out) == before


def test_b3_2_the_instance_folder_is_never_the_plan_folder(tmp_path, inst):
    before = snapshot(inst)
    for target in (inst, inst.parent):
        result = run("solve", inst, "-o", target)
        assert result.exit_code == 2, result.output
        assert "instance" in result.output
    assert snapshot(inst) == before
    assert run("validate", inst).exit_code == 0


def test_b3_2_another_instance_folder_is_refused(tmp_path, inst):
    other = tiny(tmp_path / "other")
    result = run("solve", inst, "-o", other)
    assert result.exit_code == 2 and "is an instance folder" in result.output


def test_root_and_home_are_refused(inst):
    for target in ("/", str(Path.home())):
        result = run("solve", inst, "-o", target)
        assert result.exit_code == 2, result.output
        assert "will not write into" in result.output


def test_b3_7_an_unwritable_target_is_found_before_the_solve(tmp_path, inst):
    (inst / "out").write_text("a file where the default folder goes\n")
    started = time.perf_counter()
    result = run("solve", inst)
    assert result.exit_code == 2 and "exists and is not a folder" in result.output
    assert time.perf_counter() - started < 5  # refused at once, not after solving
    (tmp_path / "file").write_text("x")
    result = run("solve", inst, "-o", tmp_path / "file" / "plan")
    assert result.exit_code == 2 and "cannot be created" in result.output


def test_files_jitopt_did_not_write_survive_every_outcome(tmp_path, inst, monkeypatch):
    """A plan folder with the user's notes and a subfolder: every later run keeps them, and
    the plan files are one run's set (checked) or the earlier set."""
    out = tmp_path / "plan"
    assert run("solve", inst, "-o", out, "-q").exit_code == 0
    (out / "notes.txt").write_text("call NEAR on Monday\n")
    (out / "archive").mkdir()
    (out / "archive" / "old.csv").write_text("1,2\n")
    mine = {k: v for k, v in snapshot(out).items() if k in ("notes.txt", "archive/old.csv")}

    def kept():
        found = snapshot(out)
        assert {k: found.get(k) for k in mine} == mine

    assert run("solve", inst, "-o", out, "-q", "--risk-weight", "0.5").exit_code == 0
    kept()
    assert check_solution(jitopt.read_instance(inst).with_risk(weight=0.5), out).ok
    infeasible = tiny(tmp_path / "bad")
    INFEASIBLE(infeasible)
    assert run("solve", infeasible, "-o", out).exit_code == 3
    kept()
    assert json.loads((out / "summary.json").read_text())["stale"]["status"] == "infeasible"
    from jitopt import files

    def full_disk(path, text):
        raise OSError(28, "No space left on device")

    before = snapshot(out)
    monkeypatch.setattr(files, "_write_new", full_disk)
    result = run("solve", inst, "-o", out)
    assert result.exit_code == 1 and "No space left on device" in result.output
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir() if "jitopt-new" in p.name] == []


def test_b3_8_files_get_the_mode_of_the_umask(tmp_path, inst):
    for umask, mode in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        old = os.umask(umask)
        try:
            out = tmp_path / f"plan{umask:o}"
            assert run("solve", inst, "-o", out, "-q").exit_code == 0
        finally:
            os.umask(old)
        modes = {p.name: p.stat().st_mode & 0o777 for p in out.iterdir()}
        assert set(modes.values()) == {mode}, modes


def test_b3_6_a_second_run_on_a_folder_in_use_is_refused(tmp_path, inst):
    out = tmp_path / "plan"
    with OutputFolder(out, "plan"):
        result = run("solve", inst, "-o", out)
        assert result.exit_code == 2 and "being written by another jitopt run" in result.output
    assert run("solve", inst, "-o", out, "-q").exit_code == 0


def test_b3_6_two_processes(tmp_path):
    """A long run holds the folder; a second process is refused at once; the first, stopped,
    writes its plan."""
    inst = shipped("small", tmp_path / "small")
    out = tmp_path / "plan"
    first = subprocess.Popen(
        [sys.executable, "-m", "jitopt.cli", "solve", inst, "-o", out, "--no-heuristic", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not _locked(out):
            time.sleep(0.1)
        assert _locked(out)
        second = subprocess.run(  # noqa: PLW1510 - the exit code is the result
            [sys.executable, "-m", "jitopt.cli", "solve", inst, "-o", out],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2, second.stderr
        assert "being written by another jitopt run" in second.stderr
        time.sleep(2)
        first.send_signal(signal.SIGINT)
        _, err = first.communicate(timeout=60)
    finally:
        first.kill()
    assert first.returncode in (0, 4), err
    if first.returncode == 0:
        assert check_solution(jitopt.read_instance(inst), out).ok


def _locked(path: Path) -> bool:
    import fcntl

    if not path.is_dir():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_b3_9_an_instance_is_never_built_into_a_plan_folder(tmp_path, inst):
    plan = tmp_path / "plan"
    assert run("solve", inst, "-o", plan, "-q").exit_code == 0
    before = snapshot(plan)
    fc = ROOT / "instances" / "forecast-example"
    result = run(
        "build", fc / "forecast.csv", "--catalog", fc / "catalog", "-o", plan, "--overwrite"
    )
    assert result.exit_code == 2 and "is a plan folder" in result.output
    assert snapshot(plan) == before
    result = run("generate", plan, "--items", "3", "--overwrite")
    assert result.exit_code == 2 and "is a plan folder" in result.output


def test_generate_overwrite_keeps_notes_and_refuses_stray_tables(tmp_path):
    path = tmp_path / "gen"
    assert run("generate", path, "--items", "3", "--periods", "4").exit_code == 0
    (path / "README.md").write_text("my notes\n")
    assert run("generate", path, "--items", "3", "--periods", "5", "--overwrite").exit_code == 0
    assert (path / "README.md").read_text() == "my notes\n"
    assert jitopt.read_instance(path).periods == 5
    (path / "orders.csv").write_text("x\n")
    result = run("generate", path, "--items", "3", "--overwrite")
    assert result.exit_code == 2 and "'orders.csv'" in result.output


def test_staging_folders_of_killed_runs_are_cleaned(tmp_path, inst):
    out = tmp_path / "plan"
    leftover = tmp_path / ".plan.jitopt-new-abc123"
    leftover.mkdir()
    (leftover / "orders.csv").write_text("half\n")
    assert run("solve", inst, "-o", out, "-q").exit_code == 0
    assert not leftover.exists()


# -- kills between file writes (B4-3, B4-4) ------------------------------------------------------

KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from jitopt import files
    where, k = sys.argv[1], int(sys.argv[2])
    calls = []
    def wrap(real):
        def wrapped(*args, **kwargs):
            calls.append(1)
            if where == "before" and len(calls) == k:
                os.kill(os.getpid(), signal.SIGKILL)
            result = real(*args, **kwargs)
            if where == "after" and len(calls) == k:
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return wrapped
    files._write_new = wrap(files._write_new)
    files._exchange = wrap(files._exchange)
    from jitopt.cli import main
    main(sys.argv[3:])
    """
)


def killed(where: str, k: int, *args) -> int:
    proc = subprocess.run(  # noqa: PLW1510 - the exit code is the result
        [sys.executable, "-c", KILLER, where, str(k), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode


@pytest.mark.parametrize("where, k", [("before", k) for k in range(1, 7)] + [("after", 6)])
def test_b4_3_a_kill_between_any_two_writes_leaves_one_complete_set(tmp_path, inst, where, k):
    """Plan A (risk-neutral) is in the folder; plan B (risk-averse) is killed before its k-th
    file write (six calls: five files, then the swap) or right after the swap. The folder holds
    plan A or plan B, whole."""
    out = tmp_path / "plan"
    assert run("solve", inst, "-o", out, "-q").exit_code == 0
    before = snapshot(out)
    code = killed(where, k, "solve", inst, "-o", out, "-q", "--risk-weight", "0.7")
    assert code == -signal.SIGKILL
    after = snapshot(out)
    if where == "after":
        assert after != before
        assert check_solution(jitopt.read_instance(inst).with_risk(weight=0.7), out).ok
    else:
        assert after == before
    assert run("solve", inst, "-o", out, "-q").exit_code == 0  # and the folder is usable
    assert [p.name for p in tmp_path.iterdir() if "jitopt-new" in p.name] == []


@pytest.mark.parametrize("k", [1, 3, 6])
def test_b4_4_a_killed_generate_overwrite_leaves_one_instance(tmp_path, k):
    path = tmp_path / "gen"
    assert (
        run("generate", path, "--items", "10", "--suppliers", "4", "--periods", "12").exit_code == 0
    )
    before = snapshot(path)
    args = ("generate", path, "--items", "10", "--suppliers", "4", "--periods", "12", "--seed", "1")
    assert killed("before", k, *args, "--overwrite") == -signal.SIGKILL
    assert snapshot(path) == before
    assert jitopt.read_instance(path).name == "gen-10x4x12-seed0"
