from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from gitops_promotion.config import load_config
from gitops_promotion.gate import FluxSelection, read_gate, selection_for
from gitops_promotion.providers.base import CommitStatus

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
DEV = FluxSelection(env="dev", name="apps-dev")


def st(context: str, state: str, minutes: int = 0, genre: str | None = None) -> CommitStatus:
    return CommitStatus(context=context, state=state, created_at=T0 + timedelta(minutes=minutes), genre=genre)  # type: ignore[arg-type]


def selection(tmp_path: Path, flux: str, env: str = "staging", group: str = "apps") -> FluxSelection:
    path = tmp_path / "gitops-promotion.yaml"
    path.write_text(
        f"environments:\n  - name: staging\n    flux: {flux}\n  - name: production\n",
        encoding="utf-8",
    )
    return selection_for(load_config(path), group, env)


def test_no_status_is_none() -> None:
    reading = read_gate([st("ci/tests", "success")], DEV)
    assert reading.verdict == "none"
    assert reading.describe() == "no Flux status yet (waiting for kustomization/apps-dev)"


def test_current_and_pre_v030_contexts_count() -> None:
    assert read_gate([st("kustomization/apps-dev/1a2b3c4d", "success")], DEV).verdict == "success"
    assert read_gate([st("kustomization/apps-dev", "success")], DEV).verdict == "success"


def test_other_kinds_never_count() -> None:
    """A HelmRelease (or any `x/<name>`) of the same name is not the Kustomization the gate waits for."""
    for context in ("helmrelease/apps-dev/1a2b3c4d", "ci/apps-dev", "gitrepository/apps-dev"):
        assert read_gate([st(context, "success")], DEV).verdict == "none", context
    helm = FluxSelection(env="dev", kind="helmrelease", name="podinfo")
    statuses = [st("helmrelease/podinfo/1a2b3c4d", "success"), st("kustomization/podinfo/1a2b3c4d", "failure")]
    assert read_gate(statuses, helm).verdict == "success"


def test_kind_and_name_match_case_insensitively(tmp_path: Path) -> None:
    chosen = selection(tmp_path, "{kind: helmrelease, name: PodInfo}")
    assert chosen.wanted == "helmrelease/podinfo"
    assert read_gate([st("HelmRelease/podinfo/1a2b3c4d", "success")], chosen).verdict == "success"


def test_newest_per_context_wins() -> None:
    statuses = [st("kustomization/apps-dev/aa", "failure", 0), st("kustomization/apps-dev/aa", "success", 5)]
    assert read_gate(statuses, DEV).verdict == "success"
    statuses.append(st("kustomization/apps-dev/aa", "failure", 9))
    assert read_gate(statuses, DEV).verdict == "failure"


def test_without_providers_all_reporting_contexts_must_pass() -> None:
    both = [st("kustomization/apps-dev/aa", "success"), st("kustomization/apps-dev/bb", "failure")]
    reading = read_gate(both, DEV)
    assert reading.verdict == "failure"
    assert reading.seen == (("kustomization/apps-dev/aa", "success"), ("kustomization/apps-dev/bb", "failure"))
    pending = [st("kustomization/apps-dev/aa", "success"), st("kustomization/apps-dev/bb", "pending")]
    assert read_gate(pending, DEV).verdict == "pending"


def test_other_envs_and_groups_ignored() -> None:
    statuses = [
        st("kustomization/apps-qa/aa", "failure"),
        st("kustomization/other-dev/aa", "failure"),
        st("kustomization/apps-dev", "success"),
    ]
    assert read_gate(statuses, DEV).verdict == "success"


def test_providers_ignore_other_clusters_and_wait_for_missing_ones(tmp_path: Path) -> None:
    chosen = selection(tmp_path, "{name: apps, providers: [5F0E7C1A, 9d3e11aa]}")
    production = st("kustomization/apps/0badc0de", "failure")  # the other cluster, same context name
    first = st("kustomization/apps/5f0e7c1a", "success")
    reading = read_gate([production, first], chosen)
    assert reading.verdict == "pending"
    assert reading.missing == ("9d3e11aa",)
    assert "waiting for Provider(s) 9d3e11aa" in reading.describe()
    second = st("kustomization/apps/9d3e11aa", "success")
    assert read_gate([production, first, second], chosen).verdict == "success"
    assert read_gate([st("kustomization/apps/9d3e11aa", "failure", 1), first], chosen).verdict == "failure"
    assert read_gate([production], chosen).verdict == "none"
    # A pre-v0.30 context names no Provider, so it cannot prove a listed one.
    assert read_gate([st("kustomization/apps", "success")], chosen).verdict == "none"


def test_context_regex_for_commit_status_expr(tmp_path: Path) -> None:
    chosen = selection(tmp_path, "{context: 'flux/{env}/(?P<provider>[0-9a-f]{8})/apps', providers: [5f0e7c1a]}")
    statuses = [st("flux/staging/5f0e7c1a/apps", "success"), st("flux/production/0badc0de/apps", "failure")]
    assert read_gate(statuses, chosen).verdict == "success"
    assert read_gate([st("flux/staging/5f0e7c1a/apps-extra", "failure")], chosen).verdict == "none"  # whole match
    plain = selection(tmp_path, "{context: 'cluster-[a-z]+/{group}'}")
    assert read_gate([st("cluster-east/apps", "success"), st("cluster-west/apps", "success")], plain).verdict == (
        "success"
    )


def test_nothing_matching_names_what_flux_posted(tmp_path: Path) -> None:
    reading = read_gate(
        [
            st("kustomization/apps/9d3e11aa", "success"),
            st("kustomization/apps/5f0e7c1a", "success"),
            st("ci/build", "success"),
            st("gitops-promotion/gate", "failure"),
        ],
        selection(tmp_path, "{}"),
    )
    assert reading.verdict == "none"
    assert reading.describe() == (
        "saw kustomization/apps/5f0e7c1a, kustomization/apps/9d3e11aa; none matches kustomization/apps-staging"
        " — set environments[staging].flux"
    )


def test_azure_genres() -> None:
    statuses = [
        st("kustomization/apps-dev/aa", "success", genre="fluxcd"),
        st("kustomization/apps-dev/bb", "success", genre="fluxcd:cluster-b"),
        st("kustomization/apps-dev/cc", "failure", genre="other-tool"),
    ]
    assert read_gate(statuses, DEV).verdict == "success"


@pytest.mark.parametrize(
    ("flux", "reason"),
    [
        ("{kind: Kustomisation}", "flux.kind: 'Kustomisation' is not a Flux kind"),
        ("{providers: [github-staging]}", "flux.providers: 'github-staging' is not the first segment"),
        ("{context: 'kustomization/(apps'}", "flux.context: context is not a valid regular expression"),
        ("{context: 'x/.*', name: apps}", "flux: context replaces kind and name"),
        ("{context: 'x/.*', providers: [5f0e7c1a]}", "needs a (?P<provider>...) group"),
        ("{name: '{app}-x'}", "flux.name: '{app}-x' must be a Flux object name"),
        ("{names: apps}", "flux.names: unknown key"),
    ],
)
def test_bad_flux_blocks_are_one_line_errors(tmp_path: Path, flux: str, reason: str) -> None:
    from gitops_promotion.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        selection(tmp_path, flux)
    message = caught.value.message
    assert message.startswith(f"{tmp_path / 'gitops-promotion.yaml'}:3: environments.0.flux"), message
    assert reason in message and "\n" not in message
