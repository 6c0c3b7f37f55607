"""The scan of a large tree on every core finds exactly what the sequential scan finds, or steps aside (None).

Through the CLI too: on a tree above the fork threshold, set-image's output, edits and errors are those of the
sequential scan (the test of each error compares with a run below the threshold, where no fork happens).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitops_promotion.manifests import forkscan
from gitops_promotion.manifests.scan import _Scanner

MARK = 'image: ghcr.io/org/{app}:1.0.0 # {{"$imagepolicy": "apps:{app}"}}\n'
SIZE = forkscan.MIN_FILES + 200


def _big_tree(root: Path, files: int) -> None:
    """``files`` manifests in nested directories; every tenth holds a marker, one a marker of ``apps:web``."""
    for i in range(files):
        path = root / f"env{i % 4}" / f"app{i % 37}" / f"f{i}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(MARK.format(app=f"a{i}") if i % 10 == 0 else f"kind: ConfigMap\nname: x{i}\n")
    (root / "env1/app5/web.yaml").write_text(MARK.format(app="web"))
    (root / "env2/Kustomization").write_text(MARK.format(app="web"))
    (root / "env2/notes.txt").write_text(MARK.format(app="web"))  # not a manifest name
    (root / ".git").mkdir()
    (root / ".git/x.yaml").write_text(MARK.format(app="web"))  # never under .git


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big") / "repo"
    _big_tree(root, SIZE)
    return root


def _sequential(root: Path) -> list[tuple[str, bytes]]:
    scanner = _Scanner(root)
    scanner._walk(str(root))
    return sorted(scanner.found)


# In a fresh interpreter, as the CLI runs it: a pytest process may have threads left (servers, reads), and a
# process with other threads never forks.
_FORKED_SCAN = """
import json, sys
from gitops_promotion.manifests import forkscan
forkscan._readers = lambda: int(sys.argv[2])
found = forkscan.fast_scan(sys.argv[1])
print(json.dumps(None if found is None else sorted([path, data.decode()] for path, data in found)))
"""


def _in_fresh_interpreter(code: str, *args: str) -> object:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, timeout=120)
    return json.loads(proc.stdout)


@pytest.mark.parametrize("readers", [2, 3, 5])
def test_the_shared_scan_finds_what_the_sequential_scan_finds(big: Path, readers: int) -> None:
    found = _in_fresh_interpreter(_FORKED_SCAN, str(big), str(readers))
    assert found == [[path, data.decode()] for path, data in _sequential(big)]
    assert len(found) == SIZE // 10 + 2


def _never_fork() -> int:
    raise AssertionError("forked")


def test_one_core_reads_alone(big: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forkscan, "_readers", lambda: 1)
    monkeypatch.setattr(os, "fork", _never_fork)
    found = forkscan.fast_scan(str(big))
    assert found is not None
    assert sorted(found) == _sequential(big)


def test_a_process_with_other_threads_does_not_fork(big: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    monkeypatch.setattr(os, "fork", _never_fork)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        found = forkscan.fast_scan(str(big))
    finally:
        stop.set()
        other.join()
    assert found is not None
    assert sorted(found) == _sequential(big)


def test_small_trees_are_read_here_from_one_listing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _big_tree(tmp_path, 50)
    monkeypatch.setattr(os, "fork", _never_fork)
    listed: list[str] = []
    scandir = os.scandir

    def counted(path: str) -> object:
        listed.append(path)
        return scandir(path)

    monkeypatch.setattr(os, "scandir", counted)
    scanner = _Scanner(tmp_path)
    scanner.add_root(str(tmp_path))
    monkeypatch.undo()
    assert sorted(scanner.found) == _sequential(tmp_path)
    assert len(listed) == len(set(listed))  # every directory listed once: the walk did not list it again
    assert [p for p, _ in scanner.found if p.endswith("notes.txt") or "/.git/" in p] == []


def test_anything_unusual_is_left_to_the_sequential_scan(big: Path, tmp_path: Path) -> None:
    files = forkscan._list(str(big))
    assert files is not None
    assert forkscan._read([*files[:5], str(tmp_path / "gone.yaml")]) is None  # unreadable (here: vanished)
    large = tmp_path / "large.yaml"
    large.write_bytes(b"x: 1\n" * (forkscan.CHUNK // 5 + 1))
    assert forkscan._read([large.as_posix()]) is None
    link = big / "env3/link.yaml"
    link.symlink_to(big / "env1/app5/web.yaml")
    try:
        assert forkscan._list(str(big)) is None
        assert forkscan.fast_scan(str(big)) is None
    finally:
        link.unlink()


@pytest.mark.parametrize("report", [b"", b"1,2", b"1,2\no", b"x\nok", b"7\nok"])
def test_a_child_that_did_not_finish_means_fall_back(report: bytes) -> None:
    assert forkscan._parse_report(report, ["a", "b", "c"]) is None
    assert forkscan._parse_report(b"0,2\nok", ["a", "b", "c"]) == ["a", "c"]
    assert forkscan._parse_report(b"\nok", ["a", "b", "c"]) == []


def _cli(cwd: Path, *paths: str, app: str = "web") -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "gitops_promotion", "set-image", "--group", "apps", "--app", app, "--tag", "2.0"]
    return subprocess.run([*argv, *paths], cwd=cwd, capture_output=True, text=True, check=False, env=os.environ.copy())


def test_cli_on_a_large_tree(big: Path) -> None:
    proc = _cli(big, ".")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["env1/app5/web.yaml", "env2/Kustomization"]
    assert (big / "env1/app5/web.yaml").read_text() == MARK.format(app="web").replace("1.0.0", "2.0")
    assert (big / "env2/notes.txt").read_text() == MARK.format(app="web")
    assert (big / ".git/x.yaml").read_text() == MARK.format(app="web")
    for name in ("env1/app5/web.yaml", "env2/Kustomization"):
        (big / name).write_text(MARK.format(app="web"))


@pytest.mark.parametrize(
    "bad",
    [
        {"env3/app1/bad.yaml": 'x: 1 # {"$imagepolicy": "apps:other:bogus"}\n'},
        {"env3/app1/bad.yaml": b'x: "\xff" # {"$imagepolicy": "apps:other"}\n'},
        {"env3/app1/large.yaml": b"x: 1\n" * 20000 + b'y: 1 # {"$imagepolicy": "apps:web:bogus"}\n'},
        {"env3/app1/web.yaml": 'a: [ # {"$imagepolicy": "apps:web:tag"}\n'},
    ],
)
def test_cli_errors_on_a_large_tree_are_those_of_a_small_one(
    big: Path, tmp_path: Path, bad: dict[str, str | bytes]
) -> None:
    small = tmp_path / "small"
    _big_tree(small, 40)
    outputs = []
    for root in (big, small):
        for name, content in bad.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(content.encode() if isinstance(content, str) else content)
        try:
            before = (root / "env1/app5/web.yaml").read_bytes()
            proc = _cli(root, ".")
            assert (root / "env1/app5/web.yaml").read_bytes() == before  # nothing written
            outputs.append((proc.returncode, proc.stdout, proc.stderr))
        finally:
            for name in bad:
                (root / name).unlink()
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == 2


def test_cli_symlink_out_of_the_repository_on_a_large_tree(big: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(MARK.format(app="web"))
    link = big / "env0/app3/shared.yaml"
    link.symlink_to(outside)
    try:
        proc = _cli(big, ".")
    finally:
        link.unlink()
    assert proc.returncode == 2
    assert f"env0/app3/shared.yaml: is a symlink to {outside}, outside the repository" in proc.stderr
