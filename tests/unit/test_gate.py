from __future__ import annotations

from datetime import datetime, timedelta, timezone

from gitops_promotion.gate import kustomization_name, read_gate
from gitops_promotion.providers.base import CommitStatus

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def st(context: str, state: str, minutes: int = 0, genre: str | None = None) -> CommitStatus:
    return CommitStatus(context=context, state=state, created_at=T0 + timedelta(minutes=minutes), genre=genre)  # type: ignore[arg-type]


def test_context_parsing_is_tolerant() -> None:
    assert kustomization_name("kustomization/apps-dev/1a2b3c4d") == "apps-dev"
    assert kustomization_name("kustomization/apps-dev") == "apps-dev"
    assert kustomization_name("ci/build") == "build"
    assert kustomization_name("no-slash") is None
    assert kustomization_name("kustomization/") is None


def test_no_status_is_none() -> None:
    assert read_gate([st("ci/tests", "success")], "apps-dev").verdict == "none"


def test_newest_per_context_wins() -> None:
    statuses = [st("kustomization/apps-dev/aa", "failure", 0), st("kustomization/apps-dev/aa", "success", 5)]
    assert read_gate(statuses, "apps-dev").verdict == "success"
    statuses.append(st("kustomization/apps-dev/aa", "failure", 9))
    assert read_gate(statuses, "apps-dev").verdict == "failure"


def test_all_clusters_must_pass() -> None:
    both = [st("kustomization/apps-dev/aa", "success"), st("kustomization/apps-dev/bb", "failure")]
    reading = read_gate(both, "apps-dev")
    assert reading.verdict == "failure"
    assert reading.seen == (
        ("kustomization/apps-dev/aa", "success"),
        ("kustomization/apps-dev/bb", "failure"),
    )
    pending = [st("kustomization/apps-dev/aa", "success"), st("kustomization/apps-dev/bb", "pending")]
    assert read_gate(pending, "apps-dev").verdict == "pending"


def test_other_envs_and_groups_ignored() -> None:
    statuses = [
        st("kustomization/apps-qa/aa", "failure"),
        st("kustomization/other-dev/aa", "failure"),
        st("kustomization/apps-dev", "success"),
    ]
    assert read_gate(statuses, "apps-dev").verdict == "success"


def test_azure_genres() -> None:
    statuses = [
        st("kustomization/apps-dev/aa", "success", genre="fluxcd"),
        st("kustomization/apps-dev/bb", "success", genre="fluxcd:cluster-b"),
        st("kustomization/apps-dev/cc", "failure", genre="other-tool"),
    ]
    assert read_gate(statuses, "apps-dev").verdict == "success"
