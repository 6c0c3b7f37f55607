"""The critical one-line mutations `python -m tests.mutation` applies, each with the tests that must kill it.

Add a mutant whenever a line that opens a gate, pushes, or decides "nothing to do" is written or changed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str  # relative to the repository root
    line: str  # exact text, found once in the file
    mutated: str
    why: str
    tests: tuple[str, ...]


GATE_TESTS = ("tests/unit/test_gate.py", "tests/e2e/test_github_flow.py", "tests/e2e/test_local_flow.py")
PUSH_TESTS = ("tests/unit/test_gitrepo.py", "tests/reliability/test_concurrency.py", "tests/e2e/test_local_flow.py")

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "gate-failure",
        "gitops_promotion/gate.py",
        'if "failure" in states:',
        "if False:",
        "a failed Flux status must close the gate",
        GATE_TESTS,
    ),
    Mutant(
        "gate-pending",
        "gitops_promotion/gate.py",
        'if states == {"success"} and not missing:',
        'if "success" in states and not missing:',
        "one cluster's success must not open the gate while another is pending",
        GATE_TESTS,
    ),
    Mutant(
        "gate-missing-provider",
        "gitops_promotion/gate.py",
        'if states == {"success"} and not missing:',
        'if states == {"success"}:',
        "a listed Flux Provider that has not reported keeps the gate waiting",
        GATE_TESTS,
    ),
    Mutant(
        "gate-other-provider",
        "gitops_promotion/gate.py",
        "if selected and selection.providers and provider not in selection.providers:",
        "if False:",
        "another cluster's status must not count for this environment",
        GATE_TESTS,
    ),
    Mutant(
        "lease",
        "gitops_promotion/gitrepo.py",
        "lease = f\"--force-with-lease=refs/heads/{branch}:{expect or ''}\"",
        'lease = "--force"',
        "a push must not overwrite a branch someone else moved",
        PUSH_TESTS,
    ),
    Mutant(
        "nothing-to-do",
        "gitops_promotion/commands/opening.py",
        "if not edits:",
        "if not edits or True:",
        "a real change must never be reported as nothing to do",
        ("tests/e2e/test_local_flow.py",),
    ),
    Mutant(
        "promote-direct-push",
        "gitops_promotion/commands/promote.py",
        "if pr is None:",
        "if pr is None and False:",
        "a direct push is not a promotion",
        ("tests/e2e/test_github_flow.py",),
    ),
    Mutant(
        "default-branch-ls-remote",
        "gitops_promotion/gitrepo.py",
        'match = re.search(r"ref: refs/heads/(\\S+)\\s+HEAD", out)',
        "match = None",
        "the remote's HEAD decides the default branch when origin/HEAD is missing",
        ("tests/unit/test_gitrepo.py",),
    ),
    Mutant(
        "status-empty-sha",
        "gitops_promotion/commands/status.py",
        "    if not state.sha:  # fail closed: without the promoted commit there is no Flux status to wait for",
        "    if False:",
        "a PR whose metadata has no sha must not pass the gate (status)",
        ("tests/reliability/test_input_safety.py",),
    ),
    Mutant(
        "verdict-empty-sha",
        "gitops_promotion/commands/gate_verdict.py",
        "    if not state.sha:  # fail closed: without the promoted commit there is no Flux status to wait for",
        "    if False:",
        "a PR whose metadata has no sha must not pass the gate (reconcile, show)",
        ("tests/reliability/test_input_safety.py",),
    ),
    Mutant(
        "later-commit-other-tag",
        "gitops_promotion/commands/status.py",
        "if found is None or found.tag != state.tag:",
        "if found is None:",
        "a later commit that deploys another tag is no proof for this one",
        ("tests/reliability/test_gate_closed.py",),
    ),
    Mutant(
        "next-hop-is-a-promotion",
        "gitops_promotion/state.py",
        'return replace(self, env=env, sha=sha, type="promote", reason="", requester="", forced=False)',
        'return replace(self, env=env, sha=sha, reason="", requester="", forced=False)',
        "the hop after a release is a gated promotion, not another release",
        ("tests/reliability/test_gate_closed.py",),
    ),
    Mutant(
        "rerun-same-tree",
        "gitops_promotion/commands/rerun.py",
        "return remote_head if parents == [base] and remote_tree == built_tree else None",
        "return remote_head if parents == [base] else None",
        "a branch with other content on the same base must be pushed over, not kept",
        ("tests/reliability/test_reruns.py",),
    ),
    Mutant(
        "dry-run-pushes",
        "gitops_promotion/commands/opening.py",
        "    if ctx.dry_run:\n        notes.extend(rerun.dry_run_push(repo, branch, built, remote_head))",
        "    if False:\n        notes.extend(rerun.dry_run_push(repo, branch, built, remote_head))",
        "a dry run never pushes",
        ("tests/reliability/test_dry_run.py",),
    ),
    Mutant(
        "catch-up-stale-read",
        "gitops_promotion/commands/read_ahead.py",
        "return now == [seen[branch] for branch in self._branches]",
        "return True",
        "the catch-up decides on the env branches as fetched, never on a read of older refs",
        ("tests/reliability/test_git_processes.py",),
    ),
    Mutant(
        "catch-up-open-branch",
        "gitops_promotion/commands/catch_up.py",
        "if branch in heads:",
        "if False:",
        "an app whose branch carries an open PR is left to it, before the forge is asked for the gap's source PR",
        ("tests/release/test_reconcile_rules.py",),
    ),
    Mutant(
        "early-status-clean",
        "gitops_promotion/gitrepo.py",
        'out = started[1].decode(errors="replace") if started',
        'out = "" if started',
        "the status started early must still refuse a checkout with uncommitted changes",
        ("tests/unit/test_gitrepo_background.py",),
    ),
    Mutant(
        "soak",
        "gitops_promotion/commands/gate_verdict.py",
        "if not soaked.done:",
        "if False:",
        "the next environment waits until the tag soaked",
        ("tests/unit/test_windows_soak.py", "tests/e2e/test_reconcile.py"),
    ),
    Mutant(
        "window",
        "gitops_promotion/commands/gate_verdict.py",
        "if not verdict.open:",
        "if False:",
        "outside an allowed window the gate waits",
        ("tests/unit/test_windows_soak.py", "tests/e2e/test_reconcile.py"),
    ),
)
