from __future__ import annotations

import pytest

from gitops_promotion.state import PromotionState, StateError, parse_state

# A body exactly as the Go tool writes it (metadata, then tab-indented lines).
GO_BODY = (
    '<!-- metadata = {"group":"apps","app":"podinfo","tag":"5.0.3","env":"qa","sha":"abc123",'
    '"feature":"","type":"promote"} -->\n\tENV: qa\n\tAPP: podinfo\n\tTAG: 5.0.3'
)
OLD_GO_BODY = '<!-- metadata = {"env":"dev","group":"g","app":"a","tag":"t","sha":"s"} -->\n\tENV: dev'


def test_metadata_is_compact_json_with_go_keys_in_order() -> None:
    state = PromotionState(group="apps", app="podinfo", tag="5.0.3", env="qa", sha="abc123")
    assert state.metadata() == (
        '<!-- metadata = {"group":"apps","app":"podinfo","tag":"5.0.3","env":"qa","sha":"abc123",'
        '"feature":"","type":"promote"} -->'
    )
    assert state.body().startswith(state.metadata() + "\n")


def test_go_tool_bodies_parse() -> None:
    state = parse_state(GO_BODY)
    assert state == PromotionState(group="apps", app="podinfo", tag="5.0.3", env="qa", sha="abc123")
    old = parse_state(OLD_GO_BODY)
    assert old is not None and old.type == "promote" and old.env == "dev"


@pytest.mark.parametrize(
    "state",
    [
        PromotionState("apps", "podinfo", "1.2.3", "dev"),
        PromotionState("apps", "podinfo", "1.2.3", "prod", sha="f" * 40, digest="sha256:" + "a" * 64),
        PromotionState("g", "a", "t", "qa", type="release", reason="CVE | fix\nnow", requester="ann", forced=True),
        PromotionState("g", "a", "t", "dev", feature="login", type="feature"),
    ],
)
def test_round_trip(state: PromotionState) -> None:
    assert parse_state(state.body("extra text")) == state


def test_names_match_go_tool() -> None:
    state = PromotionState("apps", "podinfo", "1.0", "qa")
    assert state.branch() == "promote/apps-podinfo"
    assert state.branch(per_env=True) == "promote/qa/apps-podinfo"
    assert state.title == "Promote apps/podinfo version 1.0 to environment qa"
    feature = PromotionState("apps", "podinfo", "1.0", "dev", feature="x", type="feature")
    assert feature.branch() == "feature/apps-podinfo-x"
    assert feature.branch(per_env=True) == "feature/dev/apps-podinfo-x"


@pytest.mark.parametrize("body", [None, "", "a PR written by a human"])
def test_no_metadata_is_none(body: str | None) -> None:
    assert parse_state(body) is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<!-- metadata = {{ asdasd } -->", "not valid JSON"),
        ('<!-- metadata = {"group":"g"', "not closed"),
        ('<!-- metadata = ["x"] -->', "not a JSON object"),
        ('<!-- metadata = {"group":"g","app":"a"} -->', "lacks tag, env"),
        ('<!-- metadata = {"group":"g","app":"a","tag":"t","env":"e","type":"merge"} -->', "unknown type"),
    ],
)
def test_broken_metadata_is_a_clear_error(body: str, reason: str) -> None:
    with pytest.raises(StateError, match=reason):
        parse_state(body)
