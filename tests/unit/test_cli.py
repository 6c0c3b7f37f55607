from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gitops_promotion import __version__
from gitops_promotion.cli import COMMANDS, main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_every_command_has_help_with_env_vars(capsys: pytest.CaptureFixture[str]) -> None:
    for name in COMMANDS:
        assert main([name, "--help"]) == 0, name
    assert "GITOPS_PROMOTION_GROUP" in (main(["new", "--help"]), capsys.readouterr().out)[1]


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["new", "--group", "g", "--app", "a", "--tag", "t", "--bogus"], "No such option '--bogus'"),
        (["new", "--group", "g", "--app", "a"], "Missing option '--tag'"),
        (["nonsense"], "No such command 'nonsense'"),
        (
            ["new", "--group", "g", "--app", "a", "--tag", "t", "--provider", "bitbucket"],
            "'bitbucket' is not one of",
        ),
    ],
)
def test_usage_errors_exit_2(argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert needle in capsys.readouterr().err


def test_missing_config_is_exit_2_naming_file(
    example_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _remote, work = example_repo
    (work / "gitops-promotion.yaml").unlink()
    code = main(["new", "--group", "apps", "--app", "podinfo", "--tag", "1.0", "--sourcedir", str(work)])
    assert code == 2
    err = capsys.readouterr().err
    assert "gitops-promotion.yaml: config file not found" in err
    assert len(err.strip().splitlines()) == 1


def test_unexpected_error_is_exit_3_with_hint(
    monkeypatch: pytest.MonkeyPatch, example_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _remote, work = example_repo

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr("gitops_promotion.commands.new.new", boom)
    assert main(["new", "--group", "apps", "--app", "podinfo", "--tag", "1.0", "--sourcedir", str(work)]) == 3
    assert "rerun with -v" in capsys.readouterr().err
    assert main(["new", "--group", "apps", "--app", "podinfo", "--tag", "1.0", "--sourcedir", str(work), "-v"]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_startup_imports_only_click() -> None:
    code = (
        "import sys; from gitops_promotion.cli import main; "
        "heavy = [m for m in ('git', 'github', 'azure', 'pydantic', 'ruamel', 'requests') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_group_help_lists_every_command_without_importing_them() -> None:
    from gitops_promotion.cli import SHORT_HELP

    assert set(SHORT_HELP) == set(COMMANDS)
    code = (
        "import sys; from gitops_promotion.cli import main; main(['--help']); "
        "print([m for m in sys.modules if m.startswith('gitops_promotion.cli_')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "feature-stale" in out
    assert out.strip().splitlines()[-1] == "[]"


def test_short_flags_get_the_long_env_var(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "--help"]) == 0
    out = capsys.readouterr().out
    assert "GITOPS_PROMOTION_VERBOSE" in out and "GITOPS_PROMOTION_V;" not in out
