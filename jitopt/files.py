"""Writing files so that a crash or an interruption never leaves a half-written one behind: plans,
and instance directories (generated or built from forecasts)."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np

from jitopt.schema import TABLES


def atomic_write(path: Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path``, flush it to disk, then rename it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def replace_files(directory: Path, files: dict[str, str], managed: set[str]) -> list[Path]:
    """Write each of ``files`` (name -> text) atomically into ``directory`` and remove the
    ``managed`` files it does not list, so that a stale one is never read back as current."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in managed - set(files):
        (directory / stale).unlink(missing_ok=True)
    return [atomic_write(directory / name, text) for name, text in files.items()]


def write_instance_dir(built: dict, out_dir: str | Path, overwrite: bool = False) -> Path:
    """Write ``built`` (from `jitopt.catalog.build_instance` or `jitopt.generate.generate`: "config" and
    one DataFrame or None per table) as an instance
    directory: instance.toml and one CSV per table. Each file is written under a temporary name and
    renamed, so an interruption never leaves a half-written file. Refuses a non-empty directory
    unless ``overwrite``; then instance files that ``built`` no longer has are removed."""
    path = Path(out_dir)
    if path.exists() and not path.is_dir():
        raise FileExistsError(f"{path} exists and is not a directory")
    if path.exists() and any(path.iterdir()) and not overwrite:
        raise FileExistsError(f"{path} exists and is not empty (pass overwrite=True to replace it)")
    files = {"instance.toml": toml_text(built.get("config") or {})}
    for stem, table in TABLES.items():
        frame = built.get(stem)
        if frame is not None:
            files[table.file] = frame.to_csv(index=False, lineterminator="\n")
    replace_files(path, files, {table.file for table in TABLES.values()})
    return path


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
