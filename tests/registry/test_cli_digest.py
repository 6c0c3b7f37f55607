"""`new`, `promote`, `release`, `rollback` and `set-image` through the real CLI with a `:digest` marker: the new
tag's digest comes from a real registry; a tag it cannot resolve fails before anything changes (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_promotion.providers.local import LocalForge
from gitops_promotion.state import parse_state
from tests.conftest import git
from tests.e2e.steps import run_cli
from tests.registry.conftest import PASSWORD, USER
from tests.registry.gitops_repo import DIGEST_LINE, HELMRELEASE, helm_repo, make_repo, state_of
from tests.registry.server import Registry

APP = ["--group", "apps", "--app", "podinfo"]


@pytest.fixture(autouse=True)
def _no_docker_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_CONFIG", raising=False)


def _file_on(remote: Path, ref: str, path: str) -> str:
    return git(remote, "show", f"{ref}:{path}") + "\n"


def test_new_writes_the_new_tags_digest_and_promote_carries_it(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = registry.push_image("apps/podinfo", "6.5.0", content=b"old")
    new = registry.push_image("apps/podinfo", "6.5.1", content=b"new")
    image = f"{registry.host}/apps/podinfo"
    remote, work = helm_repo(tmp_path, image, "6.5.0", old)
    src = ["--sourcedir", str(work), "--provider", "local"]

    code, out = run_cli(capsys, {}, ["new", *APP, "--tag", "6.5.1", *src])

    assert code == 0, out
    assert "created branch promote/apps-podinfo with pull request 1" in out
    dev = _file_on(remote, "promote/apps-podinfo", "apps/dev/podinfo.yaml")
    assert dev == HELMRELEASE.format(image=image, tag="6.5.1", digest=new)  # every other byte kept
    pr = LocalForge(remote).get_pr(1)
    state = parse_state(pr.body)
    assert state is not None and state.digest == new

    # The tag moves in the registry after dev got it: the next hop deploys what dev ran, not the moved tag.
    registry.push_image("apps/podinfo", "6.5.1", content=b"rebuilt")
    merged = LocalForge(remote).merge(1)
    git(work, "fetch", "--quiet", "origin")
    git(work, "checkout", "--quiet", "-B", "main", "origin/main")
    code, out = run_cli(capsys, {}, ["promote", "--sha", merged, "--branch", "main", *src])
    assert code == 0, out
    qa = _file_on(remote, "promote/apps-podinfo", "apps/qa/podinfo.yaml")
    assert qa == HELMRELEASE.format(image=image, tag="6.5.1", digest=new)


def test_new_with_an_unknown_tag_fails_before_any_change(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = registry.push_image("apps/podinfo", "6.5.0", content=b"old")
    remote, work = helm_repo(tmp_path, f"{registry.host}/apps/podinfo", "6.5.0", old)
    before = state_of(remote, work)

    code, out = run_cli(capsys, {}, ["new", *APP, "--tag", "6.6.6", "--sourcedir", str(work), "--provider", "local"])

    assert code == 1, out
    assert (
        f"apps/dev/podinfo.yaml:{DIGEST_LINE}: cannot resolve the digest of {registry.host}/apps/podinfo:6.6.6" in out
    )
    assert "has no image" in out and "nothing changed" in out
    assert state_of(remote, work) == before  # no branch pushed, nothing committed, worktree clean
    assert LocalForge(remote).list_open_prs("") == []


def test_new_with_an_explicit_digest_needs_no_registry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    given = "sha256:" + "e" * 64
    remote, _work = helm_repo(tmp_path, "registry.invalid:1/apps/podinfo", "6.5.0", "sha256:" + "0" * 64)
    code, out = run_cli(
        capsys,
        {},
        ["new", *APP, "--tag", "7.0", "--digest", given, "--sourcedir", str(tmp_path / "work"), "--provider", "local"],
    )
    assert code == 0, out
    assert f"digest: {given} #" in _file_on(remote, "promote/apps-podinfo", "apps/dev/podinfo.yaml")


def test_release_and_rollback_resolve_the_digest(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = registry.push_image("apps/rel", "1.0.0", content=b"r1")
    second = registry.push_image("apps/rel", "2.0.0", content=b"r2")
    image = f"{registry.host}/apps/rel"
    remote, work = helm_repo(tmp_path, image, "1.0.0", first)
    src = ["--sourcedir", str(work), "--provider", "local"]

    code, out = run_cli(capsys, {}, ["release", *APP, "--env", "prod", "--tag", "2.0.0", "--reason", "hotfix", *src])
    assert code == 0, out
    head = LocalForge(remote).get_pr(1).head
    assert _file_on(remote, head, "apps/prod/podinfo.yaml") == HELMRELEASE.format(
        image=image, tag="2.0.0", digest=second
    )
    LocalForge(remote).merge(1)

    code, out = run_cli(capsys, {}, ["rollback", *APP, "--env", "prod", "--to", "1.0.0", *src])
    assert code == 0, out
    head = LocalForge(remote).get_pr(2).head
    assert _file_on(remote, head, "apps/prod/podinfo.yaml") == HELMRELEASE.format(
        image=image, tag="1.0.0", digest=first
    )

    before = state_of(remote, work)
    code, out = run_cli(capsys, {}, ["rollback", *APP, "--env", "prod", "--to", "0.9.0", *src])
    assert code == 1 and f"apps/prod/podinfo.yaml:{DIGEST_LINE}:" in out and "has no image" in out, out
    assert state_of(remote, work) == before


def test_registry_credentials_from_the_flag_and_the_environment_are_never_printed(
    basic_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    digest = basic_registry.push_image("apps/private", "1.0")
    image = f"{basic_registry.host}/apps/private"
    remote, work = helm_repo(tmp_path, image, "0.9", "sha256:" + "0" * 64)
    src = ["--sourcedir", str(work), "--provider", "local", "-v"]
    wrong = "not-the-password-at-all"

    code, out = run_cli(capsys, {}, ["new", *APP, "--tag", "1.0", "--registry-auth", f"{USER}:{wrong}", *src])
    assert code == 1 and "refused access" in out, out
    assert wrong not in out

    code, out = run_cli(
        capsys, {"GITOPS_PROMOTION_REGISTRY_AUTH": f"{USER}:{PASSWORD}"}, ["new", *APP, "--tag", "1.0", *src]
    )
    assert code == 0, out
    assert PASSWORD not in out
    assert f"digest: {digest} #" in _file_on(remote, "promote/apps-podinfo", "apps/dev/podinfo.yaml")


def test_verify_refuses_a_tag_the_registry_does_not_have(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry.push_image("apps/plain", "1.0")
    config = "environments:\n  - name: dev\n  - name: prod\nregistry:\n  verify: true\n"
    deployment = f'image: {registry.host}/apps/plain:0.9 # {{"$imagepolicy": "apps:podinfo"}}\n'
    remote, work = make_repo(tmp_path, {"apps/dev/app.yaml": deployment, "apps/prod/app.yaml": deployment}, config)
    src = ["--sourcedir", str(work), "--provider", "local"]
    before = state_of(remote, work)

    code, out = run_cli(capsys, {}, ["new", *APP, "--tag", "1.1", *src])
    assert code == 1, out
    assert (
        f"apps/dev/app.yaml:1: cannot verify (registry.verify) the tag {registry.host}/apps/plain:1.1" in out
        and "has no image" in out
    )
    assert state_of(remote, work) == before

    code, out = run_cli(capsys, {}, ["new", *APP, "--tag", "1.0", *src])
    assert code == 0, out
    # verify only checks: a full reference without a `:digest` marker gets no digest added
    assert _file_on(remote, "promote/apps-podinfo", "apps/dev/app.yaml") == deployment.replace("0.9", "1.0")


def test_set_image_resolves_a_digest_marker(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    digest = registry.push_image("apps/setimage", "3.1.0")
    path = tmp_path / "values.yaml"
    image = f"{registry.host}/apps/setimage"
    path.write_text(HELMRELEASE.format(image=image, tag="3.0.0", digest="sha256:" + "1" * 64))

    code, out = run_cli(capsys, {}, ["set-image", *APP, "--tag", "3.1.0", str(path)])
    assert code == 0, out
    assert path.read_text() == HELMRELEASE.format(image=image, tag="3.1.0", digest=digest)

    before = path.read_bytes()
    code, out = run_cli(capsys, {}, ["set-image", *APP, "--tag", "4.0.0", str(path)])
    assert code == 1 and f"values.yaml:{DIGEST_LINE}:" in out and "has no image" in out, out
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("registry_key", "error"),
    [
        ("  insecure: ['http://registry.example.test']\n", "gitops-promotion.yaml:4: registry.insecure: "),
        ("  verfy: true\n", "gitops-promotion.yaml:4: registry.verfy: unknown key"),
        ("  verify: maybe\n", "gitops-promotion.yaml:4: registry.verify: "),
    ],
)
def test_the_config_rejects_a_malformed_registry_key(
    registry_key: str, error: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = "environments:\n  - name: dev\nregistry:\n" + registry_key
    _remote, work = make_repo(tmp_path, {"apps/dev/a.yaml": "a: 1\n"}, config)
    code, out = run_cli(capsys, {}, ["new", *APP, "--tag", "1.0", "--sourcedir", str(work), "--provider", "local"])
    assert code == 2, out
    assert error in out


def test_config_insecure_hosts_are_reached_over_http(
    outward_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    digest = outward_registry.push_image("apps/lan", "2.0.0")
    image = f"{outward_registry.host}/apps/lan"
    text = HELMRELEASE.format(image=image, tag="1.0.0", digest="sha256:" + "0" * 64)
    files = {f"apps/{env}/podinfo.yaml": text for env in ("dev", "prod")}
    config = "environments:\n  - name: dev\n  - name: prod\n"
    remote, work = make_repo(tmp_path / "https", files, config)
    src = ["--sourcedir", str(work), "--provider", "local"]
    code, out = run_cli(capsys, {}, ["new", *APP, "--tag", "2.0.0", *src])
    assert code == 1 and "cannot reach the registry" in out, out  # https to a plain-http registry

    config += f"registry:\n  insecure: ['{outward_registry.host}']\n"
    remote, work = make_repo(tmp_path / "http", files, config)
    src = ["--sourcedir", str(work), "--provider", "local"]
    code, out = run_cli(capsys, {}, ["new", *APP, "--tag", "2.0.0", *src])
    assert code == 0, out
    assert f"digest: {digest} #" in _file_on(remote, "promote/apps-podinfo", "apps/dev/podinfo.yaml")


@pytest.mark.parametrize(
    ("image_line", "error"),
    [
        ("      repository: team/podinfo\n", "no marker of apps:podinfo holds the image name"),
        (
            '      repository: team/podinfo # {"$imagepolicy": "apps:podinfo:name"}\n',
            "image 'team/podinfo' names no registry host",
        ),
    ],
)
def test_a_digest_that_cannot_be_looked_up_is_a_usage_error(
    image_line: str, error: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = HELMRELEASE.format(image="IMAGE", tag="1.0.0", digest="sha256:" + "0" * 64)
    text = "".join(image_line if "IMAGE" in line else line for line in text.splitlines(keepends=True))
    remote, work = make_repo(tmp_path, {"apps/dev/podinfo.yaml": text}, "environments:\n  - name: dev\n")
    before = state_of(remote, work)
    code, out = run_cli(capsys, {}, ["new", *APP, "--tag", "1.1.0", "--sourcedir", str(work), "--provider", "local"])
    assert code == 2, out
    assert f"apps/dev/podinfo.yaml:{DIGEST_LINE}: cannot resolve the digest of" in out and error in out
    assert state_of(remote, work) == before


def test_registry_credentials_are_masked_in_github_actions(
    basic_registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under Actions every form of the credentials is registered with the runner's log masking."""
    import base64

    digest = basic_registry.push_image("apps/masked", "1.0.0")
    remote, work = helm_repo(tmp_path, f"{basic_registry.host}/apps/masked", "0.9.0", "sha256:" + "0" * 64)
    ci = {"GITHUB_ACTIONS": "true", "GITOPS_PROMOTION_REGISTRY_AUTH": f"{USER}:{PASSWORD}"}
    code, out = run_cli(capsys, ci, ["new", *APP, "--tag", "1.0.0", "--sourcedir", str(work), "--provider", "local"])
    assert code == 0, out
    masks = {line.removeprefix("::add-mask::") for line in out.splitlines() if line.startswith("::add-mask::")}
    pair = f"{USER}:{PASSWORD}"
    assert {pair, PASSWORD, base64.b64encode(pair.encode()).decode()} <= masks
    assert f"digest: {digest} #" in _file_on(remote, "promote/apps-podinfo", "apps/dev/podinfo.yaml")
