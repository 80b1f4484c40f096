"""Output folders: what a command may write to, and how a folder is replaced as a whole.

The rules (README, "What jitopt guarantees about your files"):

- A command writes a folder only if it is new, empty (hidden files aside) or one of its own kind
  that jitopt wrote: a *plan* folder (its ``summary.json`` is jitopt's), an *instance* folder
  (``instance.toml`` and the instance tables), a *simulation* or *comparison* folder (its
  ``simulation.json`` / ``comparison.json`` starts with ``"jitopt": kind``). Anything else is refused before any work is done,
  as are ``/``, the home folder and, for plans, instance folders.
- Files in a jitopt folder that jitopt did not write (notes, subfolders) are carried over into
  every new set, never deleted.
- The new set is written into a fresh hidden folder beside the target (``.NAME.jitopt-new-*``)
  and swapped in with one atomic exchange of the two directories (``renameat2`` on Linux,
  ``renamex_np`` on macOS); the old set is removed afterwards. A failed write, a full disk or a
  kill leave the old set or the new one, never a mix.
- One run at a time per folder: the folder is locked (``flock``) from `OutputFolder.claim`, before
  the solve, until the run ends; a second run is refused.
- Files get the mode the umask gives, like any file the user creates.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import json
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Self

import numpy as np

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking
    fcntl = None

from jitopt.errors import OutputError
from jitopt.schema import TABLES

PLAN_FILES = (
    "orders.csv",
    "inventory.csv",
    "scenarios.csv",
    "outages.csv",
    "summary.json",
    "report.html",  # `jitopt report`: dropped with the plan it shows
)
INSTANCE_FILES = ("instance.toml", *(table.file for table in TABLES.values()))
SIMULATION_FILES = ("simulation.csv", "simulation.json", "scenarios.csv", "outages.csv")
COMPARISON_FILES = (
    "comparison.csv",
    "comparison.json",
    "frontier.png",
    "scenarios.csv",
    "outages.csv",
    "plans",
    "report.html",  # `jitopt report`
)
KINDS = {
    "plan": PLAN_FILES,
    "instance": INSTANCE_FILES,
    "simulation": SIMULATION_FILES,
    "comparison": COMPARISON_FILES,
}
# Files jitopt writes inside the subfolders of a set (a comparison's plans/NN-.../): an old one
# is dropped with the old set, anything else in those subfolders is carried over.
NESTED = {
    "comparison": (
        "orders.csv",
        "summary.json",
        "simulation.csv",
        "simulation.json",
        "carried_out.csv",
    )
}
# Kinds whose folder is recognised by a JSON file with "jitopt": kind (see `marker`).
MARKED = {"simulation": "simulation.json", "comparison": "comparison.json"}
_STAGING = ".jitopt-new-"
_SHOWN = 5  # foreign names listed in a refusal


class OutputFolder:
    """A folder one command run writes: checked and locked by `claim`, replaced by `commit`.

    ``kind`` is ``"plan"``, ``"instance"``, ``"simulation"`` or ``"comparison"``. ``overwrite`` (instances only: ``--overwrite``)
    allows replacing an existing instance folder. ``instance_dir``: the instance a plan is solved
    from, which the plan folder may not be. Use as a context manager::

        with OutputFolder(out, "plan") as folder:   # refused here, before any work
            ...
            folder.commit({"orders.csv": text, ...})
    """

    def __init__(
        self,
        path: str | Path,
        kind: str,
        *,
        overwrite: bool = True,
        instance_dir: str | Path | None = None,
    ):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
        self.given = Path(path)
        self.kind = kind
        self.overwrite = overwrite
        self.instance_dir = instance_dir
        self.path = Path(os.path.realpath(os.path.expanduser(str(path))))
        self.owned: set[str] = set()  # names in the folder that jitopt wrote
        self._fd: int | None = None
        self._created = False
        self.committed = False

    # -- claiming --------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.claim()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def claim(self) -> OutputFolder:
        """Check that the folder may be written, create it if new, lock it; raise `OutputError`
        (with what to do instead) otherwise."""
        try:
            return self._claim()
        except BaseException:
            self.release()  # a folder created for this run goes again
            raise

    def _claim(self) -> OutputFolder:
        path, shown = self.path, self.given
        if path.parent == path or path == _home():
            raise OutputError(f"{shown}: will not write into {path} (choose a folder of its own)")
        if path.exists() and not path.is_dir():
            raise OutputError(f"{shown} exists and is not a folder")
        if self.instance_dir is not None:
            inst = Path(os.path.realpath(self.instance_dir))
            if path == inst or inst.is_relative_to(path):
                default = {"plan": "out", "comparison": "compare"}.get(self.kind, "out")
                raise OutputError(
                    f"{shown} holds the instance {self.instance_dir}: write the {self.kind} to "
                    f"another folder (the default is {Path(self.instance_dir) / default})"
                )
        if path.exists():
            self._inspect()
        else:
            self._create()
        self._check_writable()
        self._lock()
        return self

    def _inspect(self) -> None:
        """What is in an existing folder, and whether this command may replace it."""
        names = sorted(os.listdir(self.path))
        visible = [n for n in names if not n.startswith(".")]
        if not visible:
            return
        shown = self.given
        own = KINDS[self.kind]
        if self.kind in MARKED:
            if not _is_marked(self.path / MARKED[self.kind], self.kind):
                raise OutputError(_foreign(shown, visible, self.kind))
        elif self.kind == "plan":
            if "instance.toml" in names:
                raise OutputError(
                    f"{shown} is an instance folder (it has instance.toml): write the plan to "
                    "another folder, e.g. its out/ subfolder"
                )
            if not _is_plan_summary(self.path / "summary.json"):
                raise OutputError(_foreign(shown, visible, "plan"))
        else:
            ours = [n for n in visible if n in own]
            if not ours or not ("instance.toml" in names or len(ours) == len(visible)):
                if _is_plan_summary(self.path / "summary.json"):
                    raise OutputError(
                        f"{shown} is a plan folder (its summary.json is jitopt's), not an "
                        "instance folder: write the instance to another folder"
                    )
                raise OutputError(_foreign(shown, visible, "instance"))
            if not self.overwrite:
                raise OutputError(f"{shown} is not empty (use --overwrite to replace it)")
            stray = [n for n in visible if n not in own and n.lower().endswith(".csv")]
            if stray:
                raise OutputError(
                    f"{shown} holds {_names(stray)}, which "
                    f"{'is' if len(stray) == 1 else 'are'} not part of an instance and would "
                    "make it invalid: move them away or write the instance to another folder"
                )
        self.owned = {n for n in visible if n in own}

    def _create(self) -> None:
        try:
            self.path.mkdir(parents=True)
        except FileExistsError:  # created meanwhile, by another run
            raise OutputError(f"{self.given} appeared while starting: is another run writing it?")
        except OSError as exc:
            raise OutputError(f"{self.given} cannot be created: {exc.strerror or exc}") from None
        self._created = True

    def _check_writable(self) -> None:
        problems = [p for p in (self.path, self.path.parent) if not os.access(p, os.W_OK | os.X_OK)]
        if problems:
            raise OutputError(f"{problems[0]} is not writable: choose another output folder")
        try:
            probe = tempfile.mkdtemp(dir=self.path.parent, prefix=f".{self.path.name}{_STAGING}")
            os.rmdir(probe)
        except OSError as exc:
            raise OutputError(
                f"{self.path.parent} is not writable ({exc.strerror or exc}): jitopt writes the "
                "new set beside the output folder and swaps it in"
            ) from None

    def _lock(self) -> None:
        if fcntl is None:  # pragma: no cover
            return
        while True:
            fd = os.open(self.path, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise OutputError(
                    f"{self.given} is being written by another jitopt run: wait for it to end, "
                    "or choose another folder"
                ) from None
            if os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                break
            os.close(fd)  # the folder was swapped between open and lock: lock the new one
        self._fd = fd
        for stale in self.path.parent.glob(f".{_glob_escape(self.path.name)}{_STAGING}*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a run that was killed

    def release(self) -> None:
        """Unlock; remove the folder if this run created it and wrote nothing into it."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._created and not self.committed:
            with contextlib.suppress(OSError):
                self.path.rmdir()  # only if still empty

    # -- reading and writing ---------------------------------------------------------------------

    def read_text(self, name: str) -> str | None:
        """An owned file's text, or None."""
        if name not in self.owned:
            return None
        try:
            return (self.path / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def commit(
        self, files: dict[str, str | bytes], *, keep: set[str] = frozenset(), validate=None
    ) -> Path:
        """Replace the folder by ``files`` (name -> text or bytes; a name may hold subfolders,
        ``plans/01-x/orders.csv``), the owned files named in ``keep`` and every file jitopt did
        not write. ``validate(path)`` may check the new set before it is swapped in (raising
        leaves the old set). Returns the folder's path."""
        if self._fd is None and fcntl is not None:
            raise RuntimeError("claim() the folder before commit()")
        staging = Path(
            tempfile.mkdtemp(dir=self.path.parent, prefix=f".{self.path.name}{_STAGING}")
        )
        try:
            top = {Path(name).parts[0] for name in files}
            for name, text in files.items():
                _write_new(staging / name, text)
            for name in os.listdir(self.path):
                if name in top and (self.path / name).is_dir() and (staging / name).is_dir():
                    _carry_inside(self.path / name, staging / name, NESTED.get(self.kind, ()))
                    continue  # a folder of the set: what the user put in it stays
                if name in top or (name in self.owned and name not in keep):
                    continue  # replaced, or an owned file of the old set that is dropped
                _carry(self.path / name, staging / name)
            if validate is not None:
                validate(staging)
            with contextlib.suppress(OSError):
                os.chmod(staging, os.stat(self.path).st_mode & 0o7777)
            _fsync_dir(staging)
            _exchange(staging, self.path)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self.committed = True
        self.owned = top | (self.owned & set(keep))
        shutil.rmtree(staging, ignore_errors=True)  # now the old set
        _fsync_dir(self.path.parent)
        return self.path


def write_folder(
    path: str | Path, kind: str, files: dict[str, str], *, overwrite: bool = True, validate=None
) -> Path:
    """Claim, commit and release in one call (for the API)."""
    with OutputFolder(path, kind, overwrite=overwrite) as folder:
        return folder.commit(files, validate=validate)


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, KeyError):
        return None


def jitopt_summary(text: str | None) -> dict | None:
    """The summary.json ``text`` as a dict when jitopt wrote it, else None."""
    try:
        summary = json.loads(text) if text else None
    except ValueError:
        return None
    ours = (
        isinstance(summary, dict)
        and {"instance", "status", "solver"} <= set(summary)
        and summary.get("status") in ("optimal", "feasible", "infeasible", "no_solution")
    )
    return summary if ours else None


def marker(kind: str) -> dict:
    """The first entry of a simulation.json or comparison.json: how jitopt recognises a folder it
    wrote."""
    return {"jitopt": kind}


def _is_marked(path: Path, kind: str) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(data, dict) and data.get("jitopt") == kind


def _is_plan_summary(path: Path) -> bool:
    """True when ``path`` is a summary.json that jitopt wrote."""
    try:
        return jitopt_summary(path.read_text(encoding="utf-8")) is not None
    except (OSError, UnicodeDecodeError):
        return False


def _foreign(shown: Path, visible: list[str], kind: str) -> str:
    path = Path(os.path.realpath(os.path.expanduser(str(shown))))
    other = _jitopt_kind(path)
    if other is not None and other != kind:
        return (
            f"{shown} is a {other} folder that jitopt wrote, not a {kind} folder: write the "
            f"{kind} to another folder"
        )
    return (
        f"{shown} holds files that jitopt did not write ({_names(visible)}): jitopt writes a "
        f"{kind} only into a new or empty folder or one it wrote before; choose another folder"
    )


def _jitopt_kind(path: Path) -> str | None:
    """The kind of jitopt folder ``path`` is, if any."""
    for kind, marker_file in MARKED.items():
        if _is_marked(path / marker_file, kind):
            return kind
    if _is_plan_summary(path / "summary.json"):
        return "plan"
    return None


def _names(names: list[str]) -> str:
    head = ", ".join(repr(n) for n in names[:_SHOWN])
    return head + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def _write_new(path: Path, content: str | bytes) -> None:
    """A new file (the umask decides its mode), flushed to disk; its folders made as needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        with open(path, "xb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        return
    with open(path, "x", encoding="utf-8", newline="") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())


def _carry_inside(old: Path, new: Path, ours: tuple[str, ...]) -> None:
    """Carry into the new set's subfolder ``new`` whatever the old one holds that jitopt did not
    write there (file names in ``ours``) and the new set does not replace: a user's notes, or a
    simulation written into a compared plan's folder."""
    for entry in os.listdir(old):
        src, dst = old / entry, new / entry
        if dst.is_dir() and src.is_dir() and not src.is_symlink():
            _carry_inside(src, dst, ours)
        elif not dst.exists() and not dst.is_symlink() and entry not in ours:
            dst.parent.mkdir(parents=True, exist_ok=True)
            _carry(src, dst)


def _carry(src: Path, dst: Path) -> None:
    """Carry a file the user put in the folder into the new set: a hard link (the same file,
    nothing copied), else a copy; folders recursively; symbolic links as links."""
    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
    elif src.is_dir():
        shutil.copytree(src, dst, symlinks=True, copy_function=_link_or_copy)
    else:
        _link_or_copy(src, dst)


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_RENAME_EXCHANGE = 2  # Linux renameat2 flag
_RENAME_SWAP = 2  # macOS renamex_np flag
_AT_FDCWD = -100


def _libc():
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name, use_errno=True) if name else None


def _exchange(new: Path, target: Path) -> None:
    """Swap two directories atomically; where the system cannot, rename the old one away and the
    new one in (a kill between the two renames leaves the old set beside the folder)."""
    libc = _libc()
    a, b = os.fsencode(new), os.fsencode(target)
    result, err = -1, errno.ENOSYS
    if libc is not None and sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        result = libc.renameat2(_AT_FDCWD, a, _AT_FDCWD, b, _RENAME_EXCHANGE)
        err = ctypes.get_errno()
    elif libc is not None and sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        result = libc.renamex_np(a, b, _RENAME_SWAP)
        err = ctypes.get_errno()
    if result == 0:
        return
    if err not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        raise OSError(err, f"cannot swap in the new set: {os.strerror(err)}", str(target))
    aside = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}{_STAGING}"))
    os.rmdir(aside)
    os.rename(target, aside)
    os.rename(new, target)
    os.rename(aside, new)  # so that the caller removes the old set


# -- instance.toml -------------------------------------------------------------------------------


def toml_text(config: dict) -> str:
    """Simple TOML: top-level keys with str/int/float/bool values, then one [section] per dict."""
    lines = [
        f"{key} = {_toml_value(value)}"
        for key, value in config.items()
        if not isinstance(value, dict)
    ]
    for key, value in config.items():
        if isinstance(value, dict):
            lines += ["", f"[{key}]"] + [f"{k} = {_toml_value(v)}" for k, v in value.items()]
    return "\n".join(lines) + "\n"


def _toml_value(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        escaped = (
            value.replace("\\", "\\\\")
            .replace('"', '\\"')
            .replace("\n", "\\n")
            .replace("\t", "\\t")
        )
        return f'"{escaped}"'
    raise TypeError(f"cannot write {value!r} ({type(value).__name__}) to instance.toml")


def instance_files(tables: dict) -> dict[str, str]:
    """instance.toml and one CSV per table of ``tables`` (from `jitopt.catalog.instance_tables` or
    `jitopt.generate.generate`: "config" and one DataFrame or None per table)."""
    files = {"instance.toml": toml_text(tables.get("config") or {})}
    for stem, table in TABLES.items():
        frame = tables.get(stem)
        if frame is not None:
            files[table.file] = frame.to_csv(index=False, lineterminator="\n")
    return files


def write_instance_dir(built: dict, out_dir: str | Path, overwrite: bool = False) -> Path:
    """Write ``built`` as an instance directory (see `instance_files`), replacing the folder as a
    whole (`OutputFolder`); the new set must read back as a valid instance before it is swapped
    in. Refuses a non-empty folder unless ``overwrite``, and any folder that is not an instance
    folder jitopt could have written."""
    from jitopt.instance import read_instance

    return write_folder(
        out_dir, "instance", instance_files(built), overwrite=overwrite, validate=read_instance
    )
