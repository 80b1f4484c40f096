"""The instances of ../shared/reports/hostile-inputs-2026-12.md: "tiny" (2 items, 2 suppliers,
6 periods; optimal cost 1,285.00) and copies of the shipped ones, with small edits."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TINY = {
    "instance.toml": 'name = "tiny"\nperiods = 6\nshortage = "backlog"\n',
    "items.csv": "item,holding_cost,shortage_cost,initial_inventory\nA,1,20,0\nB,0.5,10,0\n",
    "suppliers.csv": "supplier,region,lead_time,order_cost\nNEAR,EU,0,50\nFAR,ASIA,2,30\n",
    "offers.csv": "supplier,item,unit_cost\nNEAR,A,10\nNEAR,B,5\nFAR,A,7\nFAR,B,3\n",
    "demand.csv": "item,period,demand\n"
    + "".join(f"A,{t},{d}\n" for t, d in enumerate([10, 20, 30, 20, 10, 40], start=1))
    + "".join(f"B,{t},5\n" for t in range(1, 7)),
}
TINY_COST = 1285.0


def tiny(path: Path) -> Path:
    path.mkdir(parents=True)
    for name, text in TINY.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


def shipped(name: str, path: Path) -> Path:
    shutil.copytree(ROOT / "instances" / name, path)
    return path


def sub(file: str, old: str, new: str, count: int = -1):
    """An edit that replaces ``old`` by ``new`` in ``file`` (which must contain it)."""

    def edit(path: Path) -> None:
        text = (path / file).read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {file}"
        (path / file).write_text(text.replace(old, new, count), encoding="utf-8")

    return edit


def write(file: str, text: str | bytes):
    def edit(path: Path) -> None:
        target = path / file
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")

    return edit


def rename(old: str, new: str):
    def edit(path: Path) -> None:
        (path / old).rename(path / new)

    return edit


def everywhere(old: str, new: str):
    """Rename a name in every CSV file of the instance."""

    def edit(path: Path) -> None:
        for file in path.glob("*.csv"):
            text = file.read_text(encoding="utf-8")
            file.write_text(text.replace(old, new), encoding="utf-8")

    return edit


def both(*edits):
    def edit(path: Path) -> None:
        for e in edits:
            e(path)

    return edit
