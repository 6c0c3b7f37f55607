"""What "nothing half-done" means, checked against the forge and its bare repository after every step.

- every open PR carries readable state, its head branch exists and deploys exactly that state (tag in that env)
  and changes nothing but that app's file in that env;
- every promote/* branch with commits the default branch lacks has exactly one open PR;
- every manifest on the default branch is byte-identical to the seed except for its own app's tag.
"""

from __future__ import annotations

import re
from collections import Counter

from tests.forge.fixtures import git
from tests.reliability import forges

_TAG = re.compile(r"registry\.example\.test/apps/(?P<app>[\w-]+):(?P<tag>[^ ]+) #")


def _branches(forge: forges.Forge) -> dict[str, str]:
    out = git(forge.bare, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/promote/")
    return dict(line.split() for line in out.splitlines() if line)


def _deployed_tag(forge: forges.Forge, ref: str, env: str, app: str) -> str | None:
    try:
        text = git(forge.bare, "show", f"{ref}:{forges.manifest_path(env, app)}")
    except RuntimeError:
        return None
    match = _TAG.search(text)
    return match["tag"] if match else None


def problems(forge: forges.Forge, apps: list[str]) -> list[str]:
    """Every way the forge and repository disagree with a consistent promotion state (empty: consistent)."""
    found: list[str] = []
    branches = _branches(forge)
    open_prs = [pr for pr in forge.prs() if pr.state == "open"]
    for (head, base), n in Counter((pr.head, pr.base) for pr in open_prs).items():
        if n > 1:
            found.append(f"{n} open PRs from {head} into {base}")
    for pr in open_prs:
        meta = pr.metadata()
        if meta is None:
            found.append(f"open PR {pr.number} has no promotion state")
            continue
        if pr.head not in branches:
            found.append(f"open PR {pr.number} lost its branch {pr.head}")
            continue
        tag = _deployed_tag(forge, pr.head, meta["env"], meta["app"])
        if tag != meta["tag"]:
            found.append(f"open PR {pr.number} says {meta['tag']} in {meta['env']}, its branch deploys {tag}")
        changed = git(forge.bare, "diff", "--name-only", f"{pr.base}...{pr.head}").split()
        if changed != [forges.manifest_path(meta["env"], meta["app"])]:
            found.append(f"open PR {pr.number} changes {changed}")
    heads = {pr.head for pr in open_prs}
    for branch in branches:
        ahead = git(forge.bare, "rev-list", "--count", f"main..{branch}")
        if ahead != "0" and branch not in heads:
            found.append(f"branch {branch} has {ahead} unmerged commit(s) and no open PR")
    for env in forges.ENVS:
        for app in apps:
            text = git(forge.bare, "show", f"main:{forges.manifest_path(env, app)}") + "\n"
            match = _TAG.search(text)
            tag = match["tag"] if match else forges.OLD_TAG
            seed = forges.MANIFEST.format(app=app, tag=forges.OLD_TAG)
            if text != seed.replace(f"apps/{app}:{forges.OLD_TAG}", f"apps/{app}:{tag}"):
                found.append(f"main:{forges.manifest_path(env, app)} changed beyond its own tag")
    return found


def one_line_error(code: int, out: str, err: str) -> str | None:
    """None when a failed run ended as the product promises: exit 1 or 2, no traceback, and one ``error:`` line
    last on stderr (retry warnings may come before it)."""
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    if code not in (1, 2):
        return f"exit code {code}: {err.strip()[-300:]!r}"
    if len(errors) != 1 or lines[-1] != errors[0]:
        return f"stderr does not end in one error line: {err!r}"
    if "Traceback" in out + err:
        return "traceback printed"
    return None
