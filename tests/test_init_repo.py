"""`init` works with what is there, writes the app side and the manual trigger, and `doctor` tells the truth;
through the real CLI. Also: one name for the required check everywhere, and the local playground."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from gitops_promotion.checks import GATE_CONTEXT, STATUS_JOB_NAME
from gitops_promotion.cli import main
from gitops_promotion.commands.doctor import REQUIRED_CHECK
from gitops_promotion.commands.init import STEPS_TEMPLATE, render_template
from gitops_promotion.config import load_config
from gitops_promotion.home import REPOSITORY
from tests.conftest import git

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "workflows"
MARKED = 'image: registry.test/{group}/{app}:1.0.0 # {{"$imagepolicy": "{group}:{app}"}}\n'
SHA = "b" * 40


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def layout(root: Path, apps: dict[str, list[str]], envs: tuple[str, ...] = ("dev", "qa", "prod")) -> Path:
    for group, names in apps.items():
        for env in envs:
            (root / group / env).mkdir(parents=True, exist_ok=True)
            for app in names:
                (root / group / env / f"{app}.yaml").write_text(MARKED.format(group=group, app=app))
    return root


HAND_WRITTEN = """\
# our promotion rules: reviewed by the platform team
prflow: per-env
environments:
    - name: dev   # the first
      auto: true
    - name: qa
      auto: true
    - name: prod
      policy:
        allowed_tags: 'v?\\d+\\.\\d+\\.\\d+'   # release tags only
      notify:
        - {type: slack, url_env: SLACK_WEBHOOK_URL}
"""


# -- init keeps a hand-written config --------------------------------------------------------------------------
def test_init_keeps_a_hand_written_config_and_says_what_it_would_add(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layout(tmp_path, {"apps": ["podinfo", "web"]})
    (tmp_path / "gitops-promotion.yaml").write_text(HAND_WRITTEN)
    code, out = cli(capsys, "init", "--sourcedir", str(tmp_path), "--action-ref", f"acme/gp@{SHA}")
    assert code == 0, out
    assert (tmp_path / "gitops-promotion.yaml").read_text() == HAND_WRITTEN  # not one byte changed
    assert "kept gitops-promotion.yaml; it would add (rerun with --force" in out
    assert "        podinfo: {}" in out and "        web: {}" in out
    assert "wrote .github/workflows/gitops-promotion-status.yml" in out


def test_force_merges_new_applications_and_drops_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layout(tmp_path, {"apps": ["podinfo"]})
    (tmp_path / "gitops-promotion.yaml").write_text(HAND_WRITTEN)
    code, out = cli(capsys, "init", "--sourcedir", str(tmp_path), "--force")
    assert code == 0, out
    text = (tmp_path / "gitops-promotion.yaml").read_text()
    assert text.startswith(HAND_WRITTEN)  # appended: every existing byte kept
    config = load_config(tmp_path / "gitops-promotion.yaml")
    assert config.prflow == "per-env"
    assert config.env("prod").policy.allowed_tags == r"v?\d+\.\d+\.\d+"
    assert config.env("prod").notify[0].url_env == "SLACK_WEBHOOK_URL"
    assert config.application("apps", "podinfo") is not None
    assert "added gitops-promotion.yaml groups: apps/podinfo" in out


def test_force_merges_into_existing_groups_keeping_comments_and_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layout(tmp_path, {"apps": ["podinfo"], "web": ["front"]})
    original = HAND_WRITTEN + (
        "groups:\n    web:   # the web team\n        applications:\n            front: {featureOverwrite: true}\n"
        "        policies:\n            prod: {freeze: false}\n"
    )
    (tmp_path / "gitops-promotion.yaml").write_text(original)
    code, out = cli(capsys, "init", "--sourcedir", str(tmp_path), "--force")
    assert code == 0, out
    text = (tmp_path / "gitops-promotion.yaml").read_text()
    for kept in ("# our promotion rules: reviewed by the platform team", "# the web team", "# release tags only"):
        assert kept in text
    config = load_config(tmp_path / "gitops-promotion.yaml")
    front = config.application("web", "front")
    assert front is not None and front.featureOverwrite is True
    assert config.groups["web"].policies["prod"].freeze is False
    assert config.application("apps", "podinfo") is not None
    assert config.env("prod").policy.allowed_tags == r"v?\d+\.\d+\.\d+"
    # nothing new any more: a second run changes nothing
    assert cli(capsys, "init", "--sourcedir", str(tmp_path), "--force")[0] == 0
    assert (tmp_path / "gitops-promotion.yaml").read_text() == text


def test_a_broken_existing_config_is_named_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layout(tmp_path, {"apps": ["podinfo"]})
    (tmp_path / "gitops-promotion.yaml").write_text("environments:\n  - name: dev\n   bad: [\n")
    code, out = cli(capsys, "init", "--sourcedir", str(tmp_path), "--force")
    assert code == 2
    assert re.search(r"gitops-promotion\.yaml:\d+: not valid YAML", out)
    assert not (tmp_path / ".github").exists()  # refused before writing anything


def test_fresh_config_lists_the_applications_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layout(tmp_path, {"apps": ["podinfo", "web"], "platform": ["ingress"]})
    (tmp_path / "apps" / "base").mkdir()
    (tmp_path / "apps" / "base" / "shared.yaml").write_text(MARKED.format(group="apps", app="shared"))
    code, out = cli(capsys, "init", "--sourcedir", str(tmp_path))
    assert code == 0, out
    config = load_config(tmp_path / "gitops-promotion.yaml")
    assert {g: sorted(spec.applications) for g, spec in config.groups.items()} == {
        "apps": ["podinfo", "web"],
        "platform": ["ingress"],
    }  # apps/base is not an environment: its marker names no application
    # the README's defaults: timeout 5, merge method merge, release tags only into the last environment
    assert config.status_timeout_minutes == 5 and config.merge_method == "merge"
    assert config.env("prod").policy.allowed_tags == r"v?\d+\.\d+\.\d+"
    readme = (ROOT / "README.md").read_text()
    assert "status_timeout_minutes: 5    # the default" in readme
    assert "merge_method: merge          # the default" in readme
    assert "allowed_tags: 'v?\\d+\\.\\d+\\.\\d+'" in readme


# -- --action-ref -----------------------------------------------------------------------------------------------
def test_action_ref_takes_a_sha_or_a_tag_and_warns_about_tags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layout(tmp_path, {"apps": ["podinfo"]})
    code, out = cli(capsys, "init", "--sourcedir", str(tmp_path), "--action-ref", f"{REPOSITORY}@v1.2.0")
    assert code == 0, out
    assert "warning: --action-ref pins 'v1.2.0', which can be moved to other code; a commit SHA is safer" in out
    assert f"uses: {REPOSITORY}@v1.2.0\n" in (tmp_path / ".github/workflows/gitops-promotion-new.yml").read_text()
    code, out = cli(capsys, "init", "--sourcedir", str(tmp_path), "--action-ref", f"{REPOSITORY}@{SHA}", "--force")
    assert code == 0 and "warning" not in out
    assert f"uses: {REPOSITORY}@{SHA}\n" in (tmp_path / ".github/workflows/gitops-promotion-new.yml").read_text()
    code, out = cli(capsys, "init", "--sourcedir", str(tmp_path), "--action-ref", "v1.2.0")
    assert code == 2 and "--action-ref 'v1.2.0' must be OWNER/REPO@<commit SHA or tag>" in out


# -- the application repository's workflow ---------------------------------------------------------------------
def test_app_repo_dash_prints_the_workflow_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layout(tmp_path, {"apps": ["podinfo"]})
    code, out = cli(capsys, "init", "--sourcedir", str(tmp_path), "--app-repo", "-")
    assert code == 0
    assert out == (EXAMPLES / "github" / "app-image-pushed.yml").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apps"]
    code, out = cli(capsys, "init", "--sourcedir", str(tmp_path), "--platform", "azure", "--app-repo", "-")
    assert code == 0 and out == (EXAMPLES / "azure" / "app-pipeline.yml").read_text()


def _bash(script: str, **env: str) -> str:
    environ = {"PATH": os.environ["PATH"], **env}
    return subprocess.run(["bash", "-c", script], env=environ, capture_output=True, text=True, check=True).stdout


def test_the_github_app_workflow_builds_pushes_and_sends_a_tag_the_policies_accept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gitops, app_repo = layout(tmp_path / "gitops", {"apps": ["podinfo"]}), tmp_path / "my-app"
    code, out = cli(capsys, "init", "--sourcedir", str(gitops), "--app-repo", str(app_repo))
    assert code == 2 and f"--app-repo {app_repo}: no such directory" in out
    assert not (gitops / "gitops-promotion.yaml").exists()  # refused before writing anything
    app_repo.mkdir()
    code, out = cli(capsys, "init", "--sourcedir", str(gitops), "--app-repo", str(app_repo))
    assert code == 0 and f"wrote {app_repo}/.github/workflows/app-image-pushed.yml" in out
    assert (
        "set in the application repository's Actions settings: secrets.GITOPS_PROMOTION_APP_PRIVATE_KEY, "
        "vars.GITOPS_GROUP, vars.GITOPS_PROMOTION_APP_CLIENT_ID, vars.GITOPS_REPOSITORY_NAME"
    ) in out
    text = (app_repo / ".github/workflows/app-image-pushed.yml").read_text()
    workflow = YAML(typ="safe").load(text)
    assert workflow["permissions"] == {}
    image, notify = workflow["jobs"]["image"], workflow["jobs"]["notify-gitops"]
    assert image["permissions"] == {"contents": "read", "packages": "write"}
    assert notify["permissions"] == {} and notify["needs"] == "image"
    scripts = "\n".join(step.get("run", "") for step in image["steps"])
    assert "docker build" in scripts and "docker push" in scripts and "ghcr.io/" in scripts
    # every variable and secret it reads is documented in its header
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    for name in set(re.findall(r"\b(?:vars|secrets)\.[A-Z_]+", text.split("\nname:", 1)[1])):
        assert name in header, name
    # its tag scheme, run for release tag v1.2.3, gives a tag every environment's policy accepts
    tag_step = next(step for step in image["steps"] if step.get("id") == "tag")
    output = tmp_path / "github_output"
    _bash(tag_step["run"], GITHUB_REF_NAME="v1.2.3", GITHUB_OUTPUT=str(output))
    tag = output.read_text().strip().removeprefix("tag=")
    assert tag == "1.2.3"
    config = load_config(gitops / "gitops-promotion.yaml")
    for env in config.env_names:
        pattern = config.policy(env, "apps", "podinfo").allowed_tags
        assert pattern is None or re.fullmatch(pattern, tag), (env, pattern)
    assert "refuses the app workflow's tags" not in out


def test_the_azure_app_pipeline_uses_the_template_init_writes(tmp_path: Path) -> None:
    text = render_template("azure-app.yml", default_branch="trunk", action_ref=None, version="0.1.0")
    pipeline = YAML(typ="safe").load(text)
    assert pipeline["resources"]["repositories"][0]["ref"] == "refs/heads/trunk"
    steps = pipeline["stages"][1]["jobs"][0]["steps"]
    template = next(step for step in steps if "template" in step)
    assert template["template"] == f"{STEPS_TEMPLATE}@gitops"
    assert template["parameters"]["tag"] == "$(imageTag)"
    tag_step = next(step for step in steps if "imageTag" in step.get("bash", ""))
    assert _bash(tag_step["bash"].replace("##vso", "##vso"), BUILD_SOURCEBRANCHNAME="v1.2.3").strip() == (
        "##vso[task.setvariable variable=imageTag]1.2.3"
    )
    # No example claims a pipeline queues `new` for it when none does.
    for path in (EXAMPLES / "azure").rglob("*.yml"):
        assert "Queued by an application pipeline" not in path.read_text(), path


def test_init_warns_when_a_policy_refuses_the_app_workflows_tags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layout(tmp_path, {"apps": ["podinfo"]})
    (tmp_path / "gitops-promotion.yaml").write_text(HAND_WRITTEN.replace("'v?\\d", "'v\\d"))
    code, out = cli(capsys, "init", "--sourcedir", str(tmp_path))
    assert code == 0
    assert "warning: allowed_tags 'v\\d+\\.\\d+\\.\\d+' for prod refuses the app workflow's tags" in out


# -- a first promotion by hand ------------------------------------------------------------------------------------
def test_the_new_workflow_and_pipeline_take_the_manual_trigger_init_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layout(tmp_path / "gh", {"apps": ["podinfo"]})
    _, out = cli(capsys, "init", "--sourcedir", str(tmp_path / "gh"))
    line = next(x for x in out.splitlines() if x.startswith("first promotion, by hand: "))
    argv = line.split(": ", 1)[1].split()
    assert argv[:3] == ["gh", "workflow", "run"]
    workflow = YAML(typ="safe").load((tmp_path / "gh" / ".github/workflows" / argv[3]).read_text())
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    given = dict(arg.split("=", 1) for arg in argv[5::2])
    assert given == {"group": "apps", "app": "podinfo", "tag": "1.2.3"}
    assert {k for k, v in inputs.items() if v.get("required")} == set(given)
    step = next(s for s in workflow["jobs"]["new"]["steps"] if s.get("id") == "promote")
    for name in (*given, "digest"):
        assert step["with"][name] == f"${{{{ inputs.{name} || github.event.client_payload.{name} }}}}"
    assert "repository_dispatch" in workflow["on"]  # the app repository's event still works

    layout(tmp_path / "az", {"apps": ["podinfo"]})
    _, out = cli(capsys, "init", "--sourcedir", str(tmp_path / "az"), "--platform", "azure")
    line = next(x for x in out.splitlines() if x.startswith("first promotion, by hand: "))
    argv = line.split(": ", 1)[1].split()
    assert argv[:5] == ["az", "pipelines", "run", "--name", "gitops-promotion-new"]
    pipeline = YAML(typ="safe").load((tmp_path / "az" / "azure-pipelines" / f"{argv[4]}.yml").read_text())
    assert dict(arg.split("=", 1) for arg in argv[6:]) == {"group": "apps", "app": "podinfo", "tag": "1.2.3"}
    assert [p["name"] for p in pipeline["parameters"]] == ["group", "app", "tag"]


# -- one name for the required check ----------------------------------------------------------------------------
def test_one_name_for_the_required_check_everywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = YAML(typ="safe").load((EXAMPLES / "github" / "gitops-promotion-status.yml").read_text())
    assert status["jobs"]["status"]["name"] == STATUS_JOB_NAME  # GitHub names the check after the job
    azure = YAML(typ="safe").load((EXAMPLES / "azure" / "gitops-promotion-status.yml").read_text())
    assert azure["jobs"][0]["displayName"] == STATUS_JOB_NAME
    # the required check is the status the tool posts; the job keeps its own name (the Azure build policy)
    for doc in ("README.md", "docs/action.md", "docs/getting-started.md"):
        assert GATE_CONTEXT in (ROOT / doc).read_text(), doc
    assert REQUIRED_CHECK == GATE_CONTEXT
    layout(tmp_path, {"apps": ["podinfo"]})
    for platform in ("github", "azure"):
        _, out = cli(capsys, "init", "--sourcedir", str(tmp_path), "--platform", platform)
        assert GATE_CONTEXT in out, platform
    _, out = cli(capsys, "doctor", "--help")
    assert f"default: {GATE_CONTEXT}]" in " ".join(out.split())
    # no other spelling anywhere users read
    readable = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "examples").rglob("*.yml")]
    readable += list((ROOT / "gitops_promotion").rglob("*.py")) + list((ROOT / "gitops_promotion").rglob("*.yml"))
    for path in readable:
        assert "gitops-promotion / status" not in path.read_text(), path


# -- doctor tells the truth -------------------------------------------------------------------------------------
def test_doctor_does_not_pass_forge_settings_it_cannot_see(
    example_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, work = example_repo
    code, out = cli(capsys, "doctor", "--sourcedir", str(work), "--provider", "local")
    assert "[  ok] forge settings: provider local has no settings to check" in out  # no pipelines: nothing to see
    assert cli(capsys, "init", "--sourcedir", str(work), "--action-ref", f"{REPOSITORY}@{SHA}")[0] == 0
    code, out = cli(capsys, "doctor", "--sourcedir", str(work), "--provider", "local")
    assert "[  ok] forge settings" not in out
    assert "[warn] forge settings: not checked: the pipelines target GitHub, but the provider is local" in out
    assert "fix: rerun where the real remote is, or pass --provider github with --token" in out
    assert "see: https://github.com/gitops-promotion/gitops-promotion/blob/main/docs/getting-started.md#4-" in out
    assert code == 0  # a warning: the repository side is ready


def test_doctor_says_which_repository_to_pin(
    example_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, work = example_repo
    cli(capsys, "init", "--sourcedir", str(work))
    _code, out = cli(capsys, "doctor", "--sourcedir", str(work), "--skip-forge")
    # init writes the moving major tag; doctor names the repository and asks for the release's commit SHA
    assert "[warn] the gitops-promotion action is pinned by commit SHA" in out
    assert f"fix: pin the release you tested: uses: {REPOSITORY}@<its commit SHA>" in out
    assert "see: https://github.com/gitops-promotion/gitops-promotion/blob/main/docs/getting-started.md#5-" in out


# -- the local playground ----------------------------------------------------------------------------------------
def test_local_merge_and_flux_status_walk_the_flow_by_hand(
    example_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    remote, work = example_repo
    src = ("--sourcedir", str(work))
    code, out = cli(capsys, "new", *src, "--provider", "local", "--group", "apps", "--app", "podinfo", "--tag", "7.1")
    assert code == 0 and "pull request 1" in out
    code, out = cli(capsys, "local", "merge", "1", *src)
    assert code == 0, out
    assert "merged pull request 1 into main" in out and "checkout fast-forwarded" in out
    assert git(work, "rev-parse", "HEAD") == git(remote, "rev-parse", "main")  # the checkout is up to date
    code, out = cli(capsys, "promote", *src, "--provider", "local")
    assert code == 0 and "pull request 2" in out
    code, out = cli(
        capsys, "status", *src, "--provider", "local", "--branch", "promote/apps-podinfo", "--timeout", "0s"
    )
    assert code == 1 and "no Flux status yet" in out
    code, out = cli(capsys, "local", "flux-status", *src, "--env", "dev", "--group", "apps", "--failed")
    assert code == 0 and "kustomization/apps-dev/local = failure" in out
    code, out = cli(capsys, "status", *src, "--provider", "local", "--branch", "promote/apps-podinfo")
    assert code == 1 and "reconciliation failed for apps-dev" in out
    cli(capsys, "local", "flux-status", *src, "--env", "dev", "--group", "apps")
    code, out = cli(capsys, "status", *src, "--provider", "local", "--branch", "promote/apps-podinfo")
    assert code == 0 and "successful reconciliation for apps-dev" in out
    code, out = cli(capsys, "local", "merge", "1", *src)
    assert code == 1 and "pull request 1 is merged, not open" in out


def test_local_refuses_a_real_forge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "remote", "add", "origin", "https://github.com/acme/gitops.git")
    code, out = cli(capsys, "local", "merge", "1", "--sourcedir", str(tmp_path))
    assert code == 2
    assert "gitops-promotion local works only with the local forge" in out
    assert not (tmp_path / ".git" / "gitops-promotion-local-forge.json").exists()


def test_demo_and_make_demo_end_with_what_to_try_next(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = cli(capsys, "demo", "--dir", str(tmp_path))
    assert code == 0
    tail = out[out.index("walk it by hand") :]
    assert f"cd {tmp_path / 'gitops'}" in tail and "gitops-promotion local merge 4" in tail
    recipe = (ROOT / "Makefile").read_text().split("\ndemo: install\n", 1)[1].split("\n\n", 1)[0]
    assert "The CLI is $(abspath $(BIN))/gitops-promotion" in recipe and "docs/getting-started.md" in recipe


def test_doctor_reports_tag_markers_on_full_image_references(
    example_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, work = example_repo
    cli(capsys, "init", "--sourcedir", str(work), "--action-ref", f"{REPOSITORY}@{SHA}")
    kustomization = work / "apps" / "dev" / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text() + 'images:\n  - name: web\n    newTag: "1.0" # {"$imagepolicy": "apps:web:tag"}\n'
    )
    code, out = cli(capsys, "doctor", "--sourcedir", str(work), "--skip-forge")
    assert "[  ok] markers match their values" in out  # newTag holds a tag
    deployment = work / "apps" / "qa" / "podinfo.yaml"
    deployment.write_text(deployment.read_text().replace('"apps:podinfo"', '"apps:podinfo:tag"'))
    code, out = cli(capsys, "doctor", "--sourcedir", str(work), "--skip-forge")
    assert code == 1
    assert "[FAIL] markers match their values: a :tag marker on a full image reference: " in out
    assert "apps/qa/podinfo.yaml:10" in out
    assert 'fix: use the bare form {"$imagepolicy": "<group>:<app>"} on a full image reference' in out


LABELLED = """\
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.test/web:1.0.0 # {"$imagepolicy": "apps:web"}
"""


def test_the_config_init_writes_lets_feature_work_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    remote, work = tmp_path / "gitops.git", tmp_path / "gitops"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(tmp_path, "clone", "-q", str(remote), str(work))
    for env in ("dev", "prod"):
        (work / "apps" / env).mkdir(parents=True)
        (work / "apps" / env / "web.yaml").write_text(LABELLED)
        (work / "apps" / env / "kustomization.yaml").write_text("kind: Kustomization\nresources: [web.yaml]\n")
    assert cli(capsys, "init", "--sourcedir", str(work))[0] == 0
    app = load_config(work / "gitops-promotion.yaml").application("apps", "web")
    assert app is not None and app.featureLabelSelector == {"app": "web"}  # the workload's own labels
    git(work, "add", ".")
    git(work, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "init")
    git(work, "push", "-q", "origin", "HEAD:refs/heads/main")
    argv = ("feature", "--sourcedir", str(work), "--provider", "local", "--group", "apps", "--app", "web")
    code, out = cli(capsys, *argv, "--tag", "2.0", "--feature", "login")
    assert code == 0, out
    assert "created branch feature/apps-web-login with pull request 1" in out
    copied = git(remote, "ls-tree", "-r", "--name-only", "feature/apps-web-login", "--", "apps/dev/")
    assert "apps/dev/web-login/" in copied
