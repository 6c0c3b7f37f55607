"""Shell completion: the scripts `completion` prints, and real completions from bash and click's protocol."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitops_promotion.cli import COMMANDS, main

BIN = Path(sys.executable).parent


def _script(shell: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["completion", shell]) == 0
    return capsys.readouterr().out


def _complete(protocol: str, words: str, cword: str) -> list[str]:
    """Ask the installed CLI for completions as the shell scripts do (an env var names the protocol)."""
    env = {**os.environ, "_GITOPS_PROMOTION_COMPLETE": protocol, "COMP_WORDS": words, "COMP_CWORD": cword}
    proc = subprocess.run(
        [str(BIN / "gitops-promotion")], env=env, capture_output=True, text=True, check=False, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split("\n")


def test_bash_completes_commands_and_choices(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Source the script in a real bash and call the function bash would call on <TAB>."""
    script = tmp_path / "gitops-promotion.bash"
    script.write_text(_script("bash", capsys))
    assert "complete -o nosort -F _gitops_promotion_completion gitops-promotion" in script.read_text()

    def tab(*words: str) -> list[str]:
        line = " ".join(f"'{w}'" for w in words)
        program = (
            f'source "{script}"; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; '
            '_gitops_promotion_completion gitops-promotion; printf "%s\\n" "${COMPREPLY[@]}"'
        )
        env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
        proc = subprocess.run(
            ["bash", "--norc", "--noprofile", "-c", program],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        return [w for w in proc.stdout.split("\n") if w]

    assert tab("gitops-promotion", "") == sorted(COMMANDS)
    assert tab("gitops-promotion", "do") == ["doctor"]
    assert "--skip-forge" in tab("gitops-promotion", "doctor", "--")
    assert tab("gitops-promotion", "init", "--platform", "") == ["github", "azure", "gitlab", "gitea"]
    assert tab("gitops-promotion", "completion", "") == ["bash", "zsh", "fish"]


def test_zsh_script_and_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    script = _script("zsh", capsys)
    assert script.startswith("#compdef gitops-promotion")
    assert "_GITOPS_PROMOTION_COMPLETE=zsh_complete" in script
    # zsh_complete answers type, value and help, one per line
    answer = _complete("zsh_complete", "gitops-promotion ini", "1")  # COMP_CWORD: the word's index
    assert answer[:2] == ["plain", "init"]


def test_fish_script_and_protocol(capsys: pytest.CaptureFixture[str]) -> None:
    script = _script("fish", capsys)
    assert "complete --no-files --command gitops-promotion" in script
    assert "_GITOPS_PROMOTION_COMPLETE=fish_complete" in script
    answer = _complete("fish_complete", "gitops-promotion completion", "f")  # fish: the partial word itself
    assert answer[0] == "plain,fish"


def test_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "tcsh"]) == 2
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in capsys.readouterr().err


def test_every_command_has_json_output() -> None:
    """Scripting: each command (and subcommand) takes --output json; `completion` prints a shell script."""
    import click

    from gitops_promotion.cli import cli

    ctx = click.Context(cli)
    missing = []

    def walk(command: click.Command, name: str) -> None:
        if isinstance(command, click.Group):
            for sub in command.list_commands(ctx):
                found = command.get_command(ctx, sub)
                assert found is not None
                walk(found, f"{name} {sub}")
        elif not any("--output" in param.opts for param in command.params):
            missing.append(name)

    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        walk(command, name)
    assert sorted(missing) == ["completion"]
