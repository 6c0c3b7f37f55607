"""Byte-preserving edits of the env kustomization's lists, and feature names."""

from __future__ import annotations

import pytest

from gitops_promotion.errors import ManifestError, UsageError
from gitops_promotion.features.kustomization import add_entry, normalize_entry, remove_entries, scalar
from gitops_promotion.features.naming import app_of_dir, prefixed_host, sanitize_feature


def add(text: str, value: str = "podinfo-x", key: str = "resources") -> str:
    return add_entry(text.encode(), key, value, "apps/dev/kustomization.yaml").decode()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # block list: the new item copies the last item's indentation and dash
        (
            "resources:\n  - a.yaml # c\n  - b\nimages: []\n",
            "resources:\n  - a.yaml # c\n  - b\n  - podinfo-x\nimages: []\n",
        ),
        ("resources:\n- a.yaml\n", "resources:\n- a.yaml\n- podinfo-x\n"),
        ("resources:\n    -   a.yaml\n", "resources:\n    -   a.yaml\n    -   podinfo-x\n"),
        # no newline at the end of the file
        ("resources:\n  - a.yaml", "resources:\n  - a.yaml\n  - podinfo-x\n"),
        # CRLF files stay CRLF
        (
            "kind: Kustomization\r\nresources:\r\n  - a.yaml\r\n",
            "kind: Kustomization\r\nresources:\r\n  - a.yaml\r\n  - podinfo-x\r\n",
        ),
        # flow lists
        ("resources: [a.yaml, b]\nimages: []\n", "resources: [a.yaml, b, podinfo-x]\nimages: []\n"),
        ("resources: []\n", "resources: [podinfo-x]\n"),
        ("resources: [\n  a.yaml,\n]\n", "resources: [\n  a.yaml, podinfo-x,\n]\n"),
        # the key is missing: created at the end, indented like the file's other lists
        (
            "kind: Kustomization\nimages:\n- name: x\n",
            "kind: Kustomization\nimages:\n- name: x\nresources:\n- podinfo-x\n",
        ),
        ("kind: Kustomization\n", "kind: Kustomization\nresources:\n  - podinfo-x\n"),
        ("kind: Kustomization", "kind: Kustomization\nresources:\n  - podinfo-x\n"),
        ("", "resources:\n  - podinfo-x\n"),
        # the key is there without a value
        ("resources:\nimages: []\n", "resources:\n  - podinfo-x\nimages: []\n"),
        ("resources: ~ # none yet\n", "resources:  # none yet\n  - podinfo-x\n"),
        # already listed (in any spelling): unchanged
        ("resources:\n  - ./podinfo-x/\n", "resources:\n  - ./podinfo-x/\n"),
        ("resources: [podinfo-x]\n", "resources: [podinfo-x]\n"),
    ],
)
def test_add_entry(before: str, after: str) -> None:
    assert add(before) == after


def test_add_entry_keeps_a_byte_order_mark() -> None:
    data = "\ufeffresources:\n  - a\n".encode()
    assert add_entry(data, "resources", "b", "k.yaml") == "\ufeffresources:\n  - a\n  - b\n".encode()


def test_add_entry_quotes_what_yaml_would_not_read_as_a_string() -> None:
    assert add("resources: []\n", "123") == 'resources: ["123"]\n'
    assert scalar("true") == '"true"' and scalar("-x") == "-x" and scalar("a b") == '"a b"'


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("resources: a.yaml\n", r"apps/dev/kustomization.yaml:1: resources is not a list"),
        ("resources: {a: b}\n", r"apps/dev/kustomization.yaml:1: resources is not a list"),
        ("- a\n", r"apps/dev/kustomization.yaml: a kustomization must be a mapping"),
        ("resources: [a\n", r"apps/dev/kustomization.yaml:2: cannot edit the kustomization"),
    ],
)
def test_add_entry_refuses_what_it_cannot_edit(text: str, error: str) -> None:
    with pytest.raises(ManifestError, match=error):
        add(text)


@pytest.mark.parametrize(
    ("before", "after", "removed"),
    [
        ("resources:\n  - a.yaml\n  - podinfo-x # feature\n  - b\n", "resources:\n  - a.yaml\n  - b\n", ["podinfo-x"]),
        ("resources:\n  - a.yaml\n  - ./podinfo-x/\n", "resources:\n  - a.yaml\n", ["./podinfo-x/"]),
        ("resources: [a.yaml, podinfo-x, b]\n", "resources: [a.yaml, b]\n", ["podinfo-x"]),
        ("resources:\n  - podinfo-x\nimages: []\n", "resources: []\nimages: []\n", ["podinfo-x"]),
        ("resources:\r\n  - a\r\n  - podinfo-x\r\n", "resources:\r\n  - a\r\n", ["podinfo-x"]),
        ("resources:\n  - a\n", "resources:\n  - a\n", []),
        ("images: []\n", "images: []\n", []),
    ],
)
def test_remove_entries(before: str, after: str, removed: list[str]) -> None:
    data, gone = remove_entries(before.encode(), "resources", lambda e: normalize_entry(e) == "podinfo-x", "k")
    assert (data.decode(), gone) == (after, removed)


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("my-feature", "my-feature"),
        ("Feature/ABC_1", "featureabc1"),  # the Go tool drops invalid characters: same branch from both tools
        ("--fix--", "fix"),
        ("JIRA-123: Fix login!", "jira-123fixlogin"),
        ("x" * 80, "x" * 63),
        ("a" * 62 + "-b", "a" * 62),
    ],
)
def test_sanitize_feature(raw: str, name: str) -> None:
    assert sanitize_feature(raw) == name


@pytest.mark.parametrize("raw", ["", "---", "ÄÖ/_.", "   "])
def test_sanitize_feature_rejects_an_empty_result(raw: str) -> None:
    with pytest.raises(UsageError, match=r"^--feature .* has no letters or digits"):
        sanitize_feature(raw)


def test_host_prefix_and_dir_parsing() -> None:
    assert prefixed_host("a.example.com", "f") == "f.a.example.com"
    assert prefixed_host("*.example.com", "f") == "*.f.example.com"
    apps = ["web", "web-admin", "podinfo"]
    assert app_of_dir("web-admin-fix-1", "fix-1", apps) == "web-admin"
    assert app_of_dir("web-admin-2", "admin-2", apps) == "web"
    assert app_of_dir("web-admin", "admin", apps) == "web"  # only called for labelled feature directories
    assert app_of_dir("other-x", "x", apps) is None
    assert app_of_dir("web-x", "y", apps) is None
