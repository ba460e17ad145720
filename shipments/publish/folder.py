"""Write a snapshot whole or not at all, and never over a folder that is not an earlier snapshot.

A snapshot is written into a temporary folder beside its destination, then put in place by
renames on the same file system: an earlier snapshot is moved aside, the new one moved in, and
the earlier one's files removed. A host serving the folder sees the old snapshot or the new one
(or, between the two renames, no folder), never half of one. ``MANIFEST`` lists every file a
snapshot holds; a folder is replaced only when it is empty or holds nothing else, and only the
files its manifest lists are ever removed.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shipments.errors import InvalidInput

MANIFEST = "snapshot.json"
KIND = "aid-shipment-ledger snapshot"  # the manifest's "kind": what says a folder is one
FIELD = "folder"


def check_destination(folder: Path) -> None:
    """Refuse a destination that is not absent, empty, or an earlier snapshot with nothing else."""
    if folder.is_symlink():
        _refuse(f"{folder} is a symbolic link: give the folder itself")
    if not folder.exists():
        return
    if not folder.is_dir():
        _refuse(f"{folder} is a file, not a folder")
    present = files_in(folder)
    if not present and not any(folder.iterdir()):
        return
    listed = _listed(folder)
    if listed is None:
        _refuse(
            f"{folder} exists and is not a snapshot (it has no {MANIFEST} written by publish):"
            " give a new folder, or an earlier snapshot to replace"
        )
    assert listed is not None
    others = sorted(set(present) - listed - {MANIFEST})
    if others:
        _refuse(
            f"{folder} holds {others[0]!r}, which the earlier snapshot did not write"
            f"{f' (and {len(others) - 1} more)' if len(others) > 1 else ''}: move it out,"
            " or give a new folder"
        )


def files_in(folder: Path) -> list[str]:
    """Return every file under ``folder`` as a relative path with ``/``, sorted."""
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() or path.is_symlink()
    )


def write_manifest(folder: Path, facts: Mapping[str, Any]) -> None:
    """Write ``MANIFEST``: ``facts`` and every file now in ``folder``."""
    manifest = {"kind": KIND, **facts, "files": files_in(folder)}
    (folder / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


@contextmanager
def staged(folder: Path) -> Iterator[Path]:
    """Yield a temporary folder to write a snapshot into; put it in place of ``folder`` after.

    The destination is checked before anything is written and again before it is replaced. On
    any error the temporary folder goes and the destination stays as it was.
    """
    check_destination(folder)
    parent = folder.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=parent))
    try:
        # mkdtemp makes a folder only its owner can read; a web server reads it as another user.
        os.chmod(work, 0o777 & ~_umask())
        yield work
        check_destination(folder)
        _swap(work, folder)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _swap(work: Path, folder: Path) -> None:
    """Move ``work`` to ``folder``, moving an earlier snapshot aside first and clearing it after."""
    if not folder.exists():
        os.rename(work, folder)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=work.parent))
    aside.rmdir()  # only its unused name is wanted: rename needs the target absent
    listed = _listed(folder) or set()
    os.rename(folder, aside)
    try:
        os.rename(work, folder)
    except BaseException:
        os.rename(aside, folder)
        raise
    _clear(aside, listed)


def _clear(aside: Path, listed: set[str]) -> None:
    """Remove the listed files of an earlier snapshot, then its folders if they are empty.

    Anything else found there (written since it was checked) stays, in its folder.
    """
    for name in (*listed, MANIFEST):
        path = aside / name
        if path.is_file() or path.is_symlink():
            path.unlink()
    for path in sorted(aside.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    if not any(aside.iterdir()):
        aside.rmdir()


def _listed(folder: Path) -> set[str] | None:
    """Return the files an earlier snapshot's manifest lists, or None when it is not one."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        return None
    files = manifest.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return {f for f in files if ".." not in Path(f).parts and not Path(f).is_absolute()}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _refuse(rule: str) -> None:
    raise InvalidInput.single(FIELD, rule)
