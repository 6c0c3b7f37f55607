"""`doctor` for Azure DevOps: a branch policy runs the gate on every base branch, and the token can push."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from gitops_promotion.providers.azure_remote import AzureRepo
from gitops_promotion.providers.base import Check

T = TypeVar("T")


class AzureApi(Protocol):
    """What the checks need of the adapter; a Protocol so this module does not import azure_devops back."""

    repo: AzureRepo

    @property
    def git_client(self) -> Any: ...

    @property
    def security_client(self) -> Any: ...

    def call(self, what: str, fn: Callable[[], T]) -> T: ...

    def repository(self) -> Any: ...


# Well-known ids, the same in every organisation and on Azure DevOps Server.
BUILD_POLICY = "0609b952-1397-4640-95ec-e00a01b2c241"  # Build validation
STATUS_POLICY = "cbdc66da-9728-4af8-aada-9a5a32e4a226"  # Status check (a required PR status)
GIT_NAMESPACE = "2e9eb7ed-3c0a-47d4-87c1-0ffdb20237e6"  # security namespace "Git Repositories"
GATE_GENRE, GATE_NAME = "gitops-promotion", "gate"
# (what, permission bit, its name in Project settings → Repositories → Security)
RIGHTS = (
    ("push", 4, "Contribute"),
    ("create branches", 16, "Create branch"),
    ("force-push promotion branches", 8, "Force push (rewrite history, delete branches and tags)"),
    ("open pull requests", 16384, "Contribute to pull requests"),
)


GATE_JOB = "gitops-promotion status"  # the display name of the shipped gate pipeline's job


def _gate_policy(policy: Any, required_check: str) -> str | None:
    """What makes ``policy`` a gate (for the check's detail), or None."""
    if not (policy.is_enabled and policy.is_blocking) or policy.type is None:
        return None
    settings = policy.settings or {}
    if policy.type.id == STATUS_POLICY and (settings.get("statusGenre"), settings.get("statusName")) == (
        GATE_GENRE,
        GATE_NAME,
    ):
        return f"required status {GATE_GENRE}/{GATE_NAME}"
    name = settings.get("displayName")
    # The gate pipeline's job keeps its name when the required check is the gate status (the doctor's default).
    if policy.type.id == BUILD_POLICY and (not required_check or name in (None, "", required_check, GATE_JOB)):
        return f"build validation {name or 'pipeline ' + str(settings.get('buildDefinitionId'))}"
    return None


def _branch_check(provider: AzureApi, repo_id: str, branch: str, required_check: str) -> Check:
    answer = provider.call(
        f"reading the branch policies of {branch}",
        lambda: provider.git_client.get_policy_configurations(
            provider.repo.project, repository_id=repo_id, ref_name=f"refs/heads/{branch}"
        ),
    )
    gates = [g for g in (_gate_policy(p, required_check) for p in answer.policy_configurations or []) if g]
    return Check(
        name=f"a required policy on {branch} runs the gate",
        ok=bool(gates),
        detail=", ".join(gates) or "no enabled, required build validation or status check policy",
        fix=(
            f"Project settings > Repositories > {provider.repo.repo} > Policies > {branch}: add a required "
            + (f"Build validation named '{required_check}'" if required_check else "Build validation")
            + " for the pipeline that runs `gitops-promotion status`, or a required Status check "
            + f"{GATE_GENRE}/{GATE_NAME}"
        ),
    )


def _allowed(provider: AzureApi, token: str, bit: int, label: str) -> bool:
    answer: list[bool] = provider.call(
        f"checking the token's {label} permission",
        lambda: provider.security_client.has_permissions(
            GIT_NAMESPACE, permissions=bit, tokens=token, always_allow_administrators=False
        ),
    )
    return bool(answer and answer[0])


def _rights_check(provider: AzureApi, project_id: str, repo_id: str) -> Check:
    token = f"repoV2/{project_id}/{repo_id}"
    missing = [(what, label) for what, bit, label in RIGHTS if not _allowed(provider, token, bit, label)]
    return Check(
        name="the token can push branches and open pull requests",
        ok=not missing,
        detail="; ".join(f"cannot {what}" for what, _ in missing),
        fix=(
            f"Project settings > Repositories > {provider.repo.repo} > Security: allow "
            + ", ".join(f"'{label}'" for _, label in missing)
            + " for the identity behind the token (in pipelines: '<project> Build Service (<org>)')"
        ),
    )


def settings_checks(provider: AzureApi, *, base_branches: list[str], required_check: str) -> list[Check]:
    """Doctor's Azure DevOps checks; each API failure is raised as ProviderError by ``provider.call``."""
    repository = provider.repository()
    checks = [_branch_check(provider, repository.id, branch, required_check) for branch in base_branches]
    checks.append(_rights_check(provider, repository.project.id, repository.id))
    return checks
