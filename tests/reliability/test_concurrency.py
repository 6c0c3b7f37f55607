"""50 apps promoted at once through one fake GitHub and one fake Azure DevOps repository, merges and promotes
racing; then the same app twice at once. Nothing may be lost, duplicated or leak into another app's manifest.
"""

from __future__ import annotations

import threading
from functools import partial
from pathlib import Path

import pytest

from tests.forge.fixtures import git
from tests.reliability import forges, injection, invariants, waves
from tests.reliability.cli_runner import CliRunner, Run, all_at_once
from tests.reliability.conftest import FORGES, ForgeFactory, figure

APPS = 50


@pytest.mark.slow
@pytest.mark.parametrize("kind", FORGES)
def test_fifty_apps_at_once(kind: str, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path) -> None:
    apps = forges.app_names(APPS)
    forge = make_forge(kind, apps)
    report = waves.everyone_at_once(cli, forge, apps, tmp_path)
    figure(report.line(kind))
    assert report.lost == report.duplicates == 0


@pytest.mark.slow
@pytest.mark.parametrize("kind", FORGES)
def test_same_app_twice_at_once(kind: str, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path) -> None:
    """Two builds of one app race; the tag whose push landed last wins, its PR says so, and nothing is torn."""
    forge = make_forge(kind, ["app000", "app001"])
    rounds = 8
    replaced_said = superseded_said = 0
    for round_ in range(rounds):
        tags = [f"3.{round_}.0", f"3.{round_}.1"]
        works = [forges.checkout(forge, tmp_path / f"r{round_}-{i}") for i in range(2)]
        runs = all_at_once(
            [
                partial(
                    cli.run,
                    [
                        "new",
                        "--group",
                        "apps",
                        "--app",
                        "app000",
                        "--tag",
                        tags[i],
                        "--sourcedir",
                        str(works[i]),
                        *forge.argv(),
                    ],
                )
                for i in range(2)
            ]
        )
        assert all(r.code == 0 for r in runs), [(r.code, r.err) for r in runs]
        open_prs = [pr for pr in forge.prs() if pr.state == "open"]
        assert len(open_prs) == 1, open_prs
        meta = open_prs[0].metadata()
        assert meta is not None
        winner = meta["tag"]
        content = git(forge.bare, "show", f"{open_prs[0].head}:{forges.manifest_path('dev', 'app000')}")
        assert f"apps/app000:{winner} #" in content, "the PR says one tag, its branch deploys another"
        assert open_prs[0].title.endswith(f"version {winner} to environment dev")
        loser = next(t for t in (*tags, "") if t != winner)
        won = next(r for r, t in zip(runs, tags, strict=True) if t == winner)
        lost = next(r for r, t in zip(runs, tags, strict=True) if t == loser)
        # The winner says what it replaced (the loser's pending PR, or its concurrent push), or the loser says it
        # was superseded; often both.
        said_replaced = any("replaced" in line and loser in line for line in won.out.splitlines())
        said_superseded = "superseded" in lost.out and winner in lost.out
        replaced_said += said_replaced
        superseded_said += said_superseded
        assert said_replaced or said_superseded, (won.out, lost.out)
        forge.merge(open_prs[0].number)  # the next round starts with no pending promotion
    figure(
        f"[same app twice {kind}] rounds={rounds} one_open_pr=all consistent=all "
        f"winner_said_replaced={replaced_said} loser_said_superseded={superseded_said}"
    )


@pytest.mark.parametrize("kind", FORGES)
def test_push_landing_between_push_and_pr_write(
    kind: str, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path
) -> None:
    """The torn interleaving, staged exactly: run A has pushed 4.0.0; before A's PR write reaches the forge, run
    B pushes 4.0.1 and opens the PR. A's PR write then lands on B's branch. The run that finishes last must leave
    a branch and a PR that agree, and say what it replaced."""
    forge = make_forge(kind, ["app000"])
    work_a, work_b = (forges.checkout(forge, tmp_path / name) for name in ("a", "b"))
    runs: dict[str, Run] = {}

    def new(name: str, work: Path, tag: str) -> None:
        runs[name] = cli.run(
            ["new", "--group", "apps", "--app", "app000", "--tag", tag, "--sourcedir", str(work), *forge.argv()]
        )

    def b_overtakes() -> None:
        other = threading.Thread(target=new, args=("b", work_b, "4.0.1"))  # its own output buffer
        other.start()
        other.join()

    injection.PROVIDER_HOOKS["create_pr"] = b_overtakes
    new("a", work_a, "4.0.0")
    assert runs["b"].code == 0, runs["b"].err
    assert runs["a"].code == 0, runs["a"].err
    open_prs = [pr for pr in forge.prs() if pr.state == "open"]
    assert len(open_prs) == 1
    meta = open_prs[0].metadata()
    assert meta is not None
    content = git(forge.bare, "show", f"promote/apps-app000:{forges.manifest_path('dev', 'app000')}")
    assert f"apps/app000:{meta['tag']} #" in content, (meta, content)
    assert meta["tag"] == "4.0.0"  # A finished last
    assert "replaced" in runs["a"].out and "4.0.1" in runs["a"].out, runs["a"].out


@pytest.mark.parametrize("kind", FORGES)
def test_overtaken_run_yields_when_the_other_pr_text_landed_last(
    kind: str, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path
) -> None:
    """Staged: A pushes 5.0.0, B pushes 5.0.1, A writes its PR, then B writes. A sees the branch moved and the
    PR now carries B's text: B's push was the later one, so B's tag wins and A says it was superseded."""
    forge = make_forge(kind, ["app000"])
    work_a, work_b = (forges.checkout(forge, tmp_path / name) for name in ("a", "b"))
    runs: dict[str, Run] = {}
    b_pushed, a_wrote = threading.Event(), threading.Event()

    def new(name: str, work: Path, tag: str) -> None:
        runs[name] = cli.run(
            ["new", "--group", "apps", "--app", "app000", "--tag", tag, "--sourcedir", str(work), *forge.argv()]
        )

    other = threading.Thread(target=new, args=("b", work_b, "5.0.1"))

    def b_pushes_first() -> None:  # in A, just before its PR write
        injection.PROVIDER_HOOKS["find_open_pr"] = b_waits_for_a  # B looks the PR up after its push
        other.start()
        assert b_pushed.wait(20)

    def b_waits_for_a() -> None:  # in B, after its push, before its PR write
        b_pushed.set()
        assert a_wrote.wait(20)

    def b_writes_now() -> None:  # in A, after its write, when it reads the PR back
        a_wrote.set()
        other.join(20)

    injection.PROVIDER_HOOKS["create_pr"] = b_pushes_first
    injection.PROVIDER_HOOKS["get_pr"] = b_writes_now
    new("a", work_a, "5.0.0")
    assert runs["a"].code == 0 and runs["b"].code == 0, (runs["a"].err, runs["b"].err)
    open_prs = [pr for pr in forge.prs() if pr.state == "open"]
    assert len(open_prs) == 1
    meta = open_prs[0].metadata()
    assert meta is not None and meta["tag"] == "5.0.1"
    content = git(forge.bare, "show", f"promote/apps-app000:{forges.manifest_path('dev', 'app000')}")
    assert "apps/app000:5.0.1 #" in content
    assert "superseded: another run pushed promote/apps-app000" in runs["a"].out, runs["a"].out
    assert "5.0.1" in runs["a"].out


@pytest.mark.parametrize("kind", FORGES)
def test_push_between_our_read_and_our_push_is_not_overwritten(
    kind: str, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path
) -> None:
    """Another run pushes the branch after this run read it (ls-remote) and before it pushes: the lease rejects
    the push, so the run rebuilds from the new remote state instead of silently overwriting a commit it never
    saw. Kills: gitrepo.push using --force instead of --force-with-lease."""
    forge = make_forge(kind, ["app000"])
    work, other = (forges.checkout(forge, tmp_path / name) for name in ("work", "other"))
    head = "promote/apps-app000"
    git(other, "checkout", "-q", "-b", head)
    (other / "NOTE.md").write_text("pushed by another run\n")
    git(other, "add", "NOTE.md")
    git(other, "commit", "-qm", "another run")
    # Fires on the run's first checkout of the head branch: after its ls-remote, before its push.
    hook = work / ".git" / "hooks" / "post-checkout"
    hook.write_text(
        "#!/bin/sh\n"
        f'[ -e "{tmp_path}/fired" ] && exit 0\n'
        f'[ "$(git rev-parse --abbrev-ref HEAD)" = "{head}" ] || exit 0\n'
        f'touch "{tmp_path}/fired"\n'
        f'git -C "{other}" push -q origin HEAD:refs/heads/{head}\n'
    )
    hook.chmod(0o755)
    run = cli.run(
        ["new", "--group", "apps", "--app", "app000", "--tag", "5.0.0", "--sourcedir", str(work), *forge.argv()]
    )
    assert run.code == 0, run.err
    assert (tmp_path / "fired").exists()
    assert f"push of {head} rejected (attempt 1/" in run.err, run.err
    assert invariants.problems(forge, ["app000"]) == []
