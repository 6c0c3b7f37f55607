from __future__ import annotations

from gitops_promotion.config import parse_config
from gitops_promotion.policy import evaluate
from gitops_promotion.state import PromotionState

CONFIG = parse_config(
    {
        "environments": [
            {"name": "dev", "auto": True},
            {"name": "qa"},
            {"name": "prod", "policy": {"allowed_tags": r"v?\d+\.\d+\.\d+", "freeze": True}},
        ]
    }
)


def test_semver_only_and_freeze_in_prod() -> None:
    state = PromotionState("apps", "web", "main-abc", "prod")
    decision = evaluate(CONFIG, state, previous_tag=lambda: "main-abc")
    assert not decision.allowed
    assert "prod is frozen" in decision.explain()
    assert "does not match allowed_tags" in decision.explain()


def test_release_may_force_a_freeze_and_is_recorded() -> None:
    release = PromotionState("apps", "web", "1.2.3", "prod", type="release")
    assert not evaluate(CONFIG, release, previous_tag=lambda: None).allowed
    forced = evaluate(CONFIG, release, previous_tag=lambda: None, force=True)
    assert forced.allowed
    assert "overridden with --force" in forced.explain()


def test_require_previous_defaults_on_for_promotions_only() -> None:
    promo = PromotionState("apps", "web", "2.0", "qa")
    blocked = evaluate(CONFIG, promo, previous_tag=lambda: "1.0")
    assert not blocked.allowed and "dev runs 1.0, not 2.0" in blocked.explain()
    assert evaluate(CONFIG, promo, previous_tag=lambda: "2.0").allowed
    release = PromotionState("apps", "web", "2.0", "qa", type="release")
    assert evaluate(CONFIG, release, previous_tag=lambda: "1.0").allowed
