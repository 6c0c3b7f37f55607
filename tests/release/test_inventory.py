"""The matrix, arrivals, lag and history read from git objects (directory, branch and mixed layouts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_promotion.history.inventory import Inventory, collect
from gitops_promotion.history.timeline import Image
from tests.release.builders import HOUR, T0, Repo, context, deployment, make_repo

DIR_CONFIG = """\
environments:
  - {name: dev, auto: true}
  - {name: qa, auto: true}
  - {name: prod}
"""
DIGEST = "sha256:" + "ab" * 32


def _dir_repo(root: Path) -> Repo:
    files = {
        f"apps/{env}/{app}.yaml": deployment("apps", app, "1.0")
        for env in ("dev", "qa", "prod")
        for app in ("web", "api")
    }
    repo = make_repo(root, DIR_CONFIG, {"main": files})
    repo.merge_pr(
        "main",
        {"apps/dev/web.yaml": deployment("apps", "web", "1.1")},
        "Promote apps/web version 1.1 to environment dev",
        at=T0 + 1 * HOUR,
    )
    repo.merge_pr(
        "main",
        {"apps/qa/web.yaml": deployment("apps", "web", "1.1")},
        "Promote apps/web version 1.1 to environment qa",
        at=T0 + 2 * HOUR,
        squash=True,
    )
    repo.merge_pr(
        "main",
        {"apps/dev/web.yaml": deployment("apps", "web", "1.2")},
        "Promote apps/web version 1.2 to environment dev",
        at=T0 + 3 * HOUR,
    )
    repo.merge_pr(
        "main",
        {"apps/dev/web.yaml": deployment("apps", "web", f"1.3@{DIGEST}")},
        "Promote apps/web version 1.3 to environment dev",
        at=T0 + 4 * HOUR,
    )
    repo.direct(
        "main",
        {"apps/prod/api.yaml": deployment("apps", "api", "1.0-hotfix"), "README.md": "unrelated\n"},
        "hotfix api in prod",
        at=T0 + 5 * HOUR,
        who="Ops",
    )
    return repo


@pytest.fixture
def dir_inventory(tmp_path: Path) -> tuple[Repo, Inventory]:
    repo = _dir_repo(tmp_path)
    return repo, collect(context(repo.work), clock=lambda: T0 + 10 * HOUR)


def test_matrix_tags_digests_and_files(dir_inventory: tuple[Repo, Inventory]) -> None:
    _repo, inv = dir_inventory
    assert [e.name for e in inv.envs] == ["dev", "qa", "prod"]
    assert inv.apps == [("apps", "api"), ("apps", "web")]
    tags = {(a, e.name): inv.cell(("apps", a), e.name).image for a in ("web", "api") for e in inv.envs}
    assert {k: (v.tag, v.digest) for k, v in tags.items() if v} == {
        ("web", "dev"): ("1.3", DIGEST),
        ("web", "qa"): ("1.1", None),
        ("web", "prod"): ("1.0", None),
        ("api", "dev"): ("1.0", None),
        ("api", "qa"): ("1.0", None),
        ("api", "prod"): ("1.0-hotfix", None),
    }
    assert inv.cell(("apps", "web"), "qa").files == ("apps/qa/web.yaml",)
    assert inv.notes == []


def test_arrival_names_the_pr_from_merge_and_squash_subjects(dir_inventory: tuple[Repo, Inventory]) -> None:
    _repo, inv = dir_inventory
    dev = inv.cell(("apps", "web"), "dev").arrived
    assert dev is not None and dev.commit.pr_number == 4 and dev.commit.timestamp == T0 + 4 * HOUR
    assert dev.commit.author == "Rel Manager" and len(dev.commit.parents) == 2  # the merge commit, first parent
    qa = inv.cell(("apps", "web"), "qa").arrived
    assert qa is not None and qa.commit.pr_number == 2 and qa.commit.timestamp == T0 + 2 * HOUR
    prod = inv.cell(("apps", "api"), "prod").arrived
    assert prod is not None and prod.commit.pr_number is None and prod.commit.subject == "hotfix api in prod"
    initial = inv.cell(("apps", "web"), "prod").arrived
    assert initial is not None and initial.commit.subject == "Initial main"


def test_lag_counts_versions_and_time_behind_the_previous_env(dir_inventory: tuple[Repo, Inventory]) -> None:
    _repo, inv = dir_inventory
    lag = {(a, e): inv.cell(("apps", a), e).lag for a in ("web", "api") for e in ("dev", "qa", "prod")}
    assert lag[("web", "dev")].state == "first"
    assert (lag[("web", "qa")].state, lag[("web", "qa")].versions, lag[("web", "qa")].since) == (
        "behind",
        2,
        T0 + 3 * HOUR,
    )  # dev ran 1.2 then 1.3 since qa's 1.1
    assert (lag[("web", "prod")].state, lag[("web", "prod")].versions, lag[("web", "prod")].since) == (
        "behind",
        1,
        T0 + 2 * HOUR,
    )
    assert lag[("api", "qa")].state == "in-sync"
    assert lag[("api", "prod")].state == "differs"  # a hotfix qa never ran


def test_history_is_every_change_in_order(dir_inventory: tuple[Repo, Inventory]) -> None:
    _repo, inv = dir_inventory
    web = [
        (c.env, c.image.tag if c.image else None, c.previous.tag if c.previous else None)
        for c in inv.history[("apps", "web")]
    ]
    assert web == [
        ("dev", "1.0", None),
        ("qa", "1.0", None),
        ("prod", "1.0", None),
        ("dev", "1.1", "1.0"),
        ("qa", "1.1", "1.0"),
        ("dev", "1.2", "1.1"),
        ("dev", "1.3", "1.2"),
    ]


def test_filters_by_group_and_app(tmp_path: Path) -> None:
    repo = _dir_repo(tmp_path)
    inv = collect(context(repo.work), group="apps", app="web", clock=lambda: T0)
    assert inv.apps == [("apps", "web")] and set(inv.history) == {("apps", "web")}
    missing = collect(context(repo.work), group="apps", app="nope", clock=lambda: T0)
    assert missing.apps == [] and "no environment deploys apps/nope" in missing.notes[0]


def test_removed_marker_and_broken_file_in_history(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        DIR_CONFIG,
        {"main": {f"apps/{e}/web.yaml": deployment("apps", "web", "1.0") for e in ("dev", "qa", "prod")}},
    )
    repo.direct(
        "main", {"apps/dev/web.yaml": 'a: [unclosed\n# {"$imagepolicy": "apps:web"}\n'}, "break dev", at=T0 + HOUR
    )
    repo.direct("main", {"apps/dev/web.yaml": deployment("apps", "web", "2.0")}, "fix dev", at=T0 + 2 * HOUR)
    repo.direct("main", {"apps/qa/web.yaml": None}, "drop qa", at=T0 + 3 * HOUR)
    inv = collect(context(repo.work), clock=lambda: T0 + 4 * HOUR)
    changes = [(c.env, c.image.tag if c.image else None) for c in inv.history[("apps", "web")]]
    # the broken commit changes nothing (its old reading is kept); removal is a change to "nothing"
    assert changes == [("dev", "1.0"), ("qa", "1.0"), ("prod", "1.0"), ("dev", "2.0"), ("qa", None)]
    assert inv.cell(("apps", "web"), "qa").image is None
    assert inv.cell(("apps", "web"), "prod").lag.state == "n/a"


BRANCH_CONFIG = """\
environments:
  - {name: dev, branch: dev, auto: true}
  - {name: qa, branch: qa, auto: true}
  - {name: prod, branch: prod}
"""


def test_branch_layout_reads_origin_branches_without_checking_out(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        BRANCH_CONFIG,
        {
            "main": {"README.md": "config only\n"},
            "dev": {"apps/web.yaml": deployment("apps", "web", "1.0"), "apps/dev-only.yaml": "kind: ConfigMap\n"},
            "qa": {"apps/web.yaml": deployment("apps", "web", "1.0")},
            "prod": {"apps/web.yaml": deployment("apps", "web", "0.9")},
        },
    )
    repo.merge_pr(
        "dev",
        {"apps/web.yaml": deployment("apps", "web", "1.1")},
        "Promote apps/web version 1.1 to environment dev",
        at=T0 + HOUR,
    )
    for branch in ("dev", "qa", "prod"):
        repo.git("branch", "-q", "-D", branch)  # only origin/<branch> remains: the tool must read those
    head_before = repo.git("rev-parse", "HEAD")
    inv = collect(context(repo.work), clock=lambda: T0 + 2 * HOUR)
    assert [(e.name, e.branch) for e in inv.envs] == [("dev", "dev"), ("qa", "qa"), ("prod", "prod")]
    cells = {e: inv.cell(("apps", "web"), e) for e in ("dev", "qa", "prod")}
    assert {e: c.image.tag for e, c in cells.items() if c.image} == {"dev": "1.1", "qa": "1.0", "prod": "0.9"}
    assert cells["dev"].arrived is not None and cells["dev"].arrived.commit.pr_number == 1
    assert (cells["qa"].lag.state, cells["qa"].lag.versions) == ("behind", 1)
    assert cells["prod"].lag.state == "differs"
    assert repo.git("rev-parse", "HEAD") == head_before and repo.git("status", "--porcelain") == ""
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD") == "main"


def test_mixed_layout(tmp_path: Path) -> None:
    config = """\
environments:
  - {name: dev, auto: true}
  - {name: qa, auto: true}
  - {name: prod, branch: prod, path: "clusters/prod/{group}"}
"""
    repo = make_repo(
        tmp_path,
        config,
        {
            "main": {
                "apps/dev/web.yaml": deployment("apps", "web", "2.0"),
                "apps/qa/web.yaml": deployment("apps", "web", "2.0"),
            },
            "prod": {
                "clusters/prod/apps/web.yaml": deployment("apps", "web", "1.0"),
                "clusters/prod/other/web.yaml": deployment("other", "web", "5.0"),
            },
        },
    )
    inv = collect(context(repo.work), clock=lambda: T0)
    assert inv.apps == [("apps", "web"), ("other", "web")]
    images = [inv.cell(("apps", "web"), e).image for e in ("dev", "qa", "prod")]
    assert [i.tag if i else None for i in images] == ["2.0", "2.0", "1.0"]
    assert inv.cell(("other", "web"), "prod").image == Image("5.0", None)
    assert inv.cell(("other", "web"), "dev").image is None
    assert inv.cell(("apps", "web"), "prod").lag.state == "differs"


def test_missing_env_branch_is_a_note(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        BRANCH_CONFIG,
        {
            "main": {},
            "dev": {"apps/web.yaml": deployment("apps", "web", "1")},
            "qa": {"apps/web.yaml": deployment("apps", "web", "1")},
        },
    )
    inv = collect(context(repo.work), clock=lambda: T0)
    assert "environment prod: branch prod not found" in inv.notes
    assert inv.cell(("apps", "web"), "prod").image is None


def test_shallow_clone_is_noted(tmp_path: Path) -> None:
    repo = _dir_repo(tmp_path)
    shallow = tmp_path / "shallow"
    repo.git("clone", "-q", "--depth", "1", repo.remote.as_uri(), str(shallow))
    inv = collect(context(shallow), clock=lambda: T0 + 10 * HOUR)
    assert any(note.startswith("the clone is shallow") for note in inv.notes)
    web = inv.cell(("apps", "web"), "dev")
    assert web.image == Image("1.3", DIGEST) and web.arrived is not None  # the boundary commit stands in


def test_history_ignores_edits_off_the_marker_line_and_follows_moved_markers(tmp_path: Path) -> None:
    """The log reads only commits and files whose marker lines changed (git's pickaxe, issue 17)."""
    repo = make_repo(
        tmp_path,
        DIR_CONFIG,
        {"main": {f"apps/{e}/web.yaml": deployment("apps", "web", "1.0") for e in ("dev", "qa", "prod")}},
    )
    scaled = deployment("apps", "web", "1.0").replace("metadata:", "metadata:\n  labels: {scaled: 'yes'}", 1)
    assert scaled != deployment("apps", "web", "1.0")
    repo.direct("main", {"apps/dev/web.yaml": scaled}, "label dev", at=T0 + HOUR)
    # The marker moves to another file with the same tag: no change; then a new tag in the new file.
    repo.direct(
        "main",
        {"apps/dev/web.yaml": None, "apps/dev/web/deploy.yaml": deployment("apps", "web", "1.0")},
        "move dev",
        at=T0 + 2 * HOUR,
    )
    repo.direct("main", {"apps/dev/web/deploy.yaml": deployment("apps", "web", "2.0")}, "dev 2.0", at=T0 + 3 * HOUR)
    inv = collect(context(repo.work), clock=lambda: T0 + 4 * HOUR)
    changes = [(c.env, c.image.tag if c.image else None, c.commit.subject) for c in inv.history[("apps", "web")]]
    assert changes[3:] == [("dev", "2.0", "dev 2.0")]
    assert [c[:2] for c in changes[:3]] == [("dev", "1.0"), ("qa", "1.0"), ("prod", "1.0")]
    assert inv.cell(("apps", "web"), "dev").files == ("apps/dev/web/deploy.yaml",)


def test_broken_file_at_a_branch_head_is_a_note_and_parsed_once(tmp_path: Path) -> None:
    """A head file is parsed once for the matrix and the history (one BlobCache); a broken one is a note."""
    repo = make_repo(
        tmp_path,
        DIR_CONFIG,
        {"main": {f"apps/{e}/web.yaml": deployment("apps", "web", "1.0") for e in ("dev", "qa", "prod")}},
    )
    repo.direct(
        "main", {"apps/qa/web.yaml": 'a: [unclosed\n# {"$imagepolicy": "apps:web"}\n'}, "break qa", at=T0 + HOUR
    )
    inv = collect(context(repo.work), clock=lambda: T0 + 2 * HOUR)
    assert any(n.startswith("apps/qa/web.yaml (branch main): markers not read:") for n in inv.notes), inv.notes
    assert inv.cell(("apps", "web"), "qa").image is None
    assert inv.cell(("apps", "web"), "dev").image == Image("1.0", None)
    changes = [(c.env, c.image.tag if c.image else None) for c in inv.history[("apps", "web")]]
    assert changes == [("dev", "1.0"), ("qa", "1.0"), ("prod", "1.0")]  # the broken commit changes nothing
