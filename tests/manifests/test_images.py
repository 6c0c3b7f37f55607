"""Image references, tag and digest grammars, and how new values are written as YAML scalars."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from gitops_promotion.errors import UsageError
from gitops_promotion.manifests import (
    ImageRef,
    encode_scalar,
    format_image_ref,
    parse_image_ref,
    validate_digest,
    validate_tag,
)
from gitops_promotion.manifests.images import with_tag

D = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("nginx", ImageRef("nginx")),
        ("nginx:1.25", ImageRef("nginx", "1.25")),
        ("localhost:5000/team/app:1.2", ImageRef("localhost:5000/team/app", "1.2")),
        ("localhost:5000/team/app", ImageRef("localhost:5000/team/app")),
        (f"localhost:5000/team/app:1.2@{D}", ImageRef("localhost:5000/team/app", "1.2", D)),
        (f"ghcr.io/org/app@{D}", ImageRef("ghcr.io/org/app", None, D)),
        ("[::1]:5000/app:v1", ImageRef("[::1]:5000/app", "v1")),
    ],
)
def test_parse_and_format_round_trip(text: str, ref: ImageRef) -> None:
    assert parse_image_ref(text) == ref
    assert format_image_ref(ref) == text
    assert str(ref) == text


@pytest.mark.parametrize(
    ("old", "digest", "new"),
    [
        ("localhost:5000/team/app:1.2", None, "localhost:5000/team/app:2.0"),
        ("localhost:5000/team/app", None, "localhost:5000/team/app:2.0"),
        (f"app:1.2@{D}", None, "app:2.0"),  # a stale digest would pin the old image
        ("app:1.2", D, f"app:2.0@{D}"),
        (f"app@{D}", "sha256:" + "b" * 64, "app:2.0@sha256:" + "b" * 64),
    ],
)
def test_with_tag(old: str, digest: str | None, new: str) -> None:
    assert with_tag(old, "2.0", digest) == new


@pytest.mark.parametrize("tag", ["1", "v1.2.3", "1.2.3-rc.1", "_x", "A" * 128, "latest", "1234", "sha-a_B.9"])
def test_valid_tags(tag: str) -> None:
    assert validate_tag(tag) == tag


@pytest.mark.parametrize("tag", ["", "-x", ".x", "a" * 129, "a/b", "a:b", "a b", "ü", "1.0\n"])
def test_invalid_tags(tag: str) -> None:
    with pytest.raises(UsageError, match=r"^--tag .* is not a valid image tag"):
        validate_tag(tag)


def test_digests() -> None:
    assert validate_digest(D) == D
    for bad in ("a" * 64, "sha256:" + "A" * 64, "sha256:" + "a" * 63, "sha512:" + "a" * 64, D + "\n"):
        with pytest.raises(UsageError, match=r"^--digest .* is not a valid digest"):
            validate_digest(bad)


NON_STRINGS = [
    "1234",
    "0755",
    "0x1F",
    "0o17",
    "0b101",
    "1_000",
    "1e3",
    "1E-3",
    "1.5",
    "1.",
    ".5",
    ".inf",
    "-.inf",
    ".NaN",
    "true",
    "False",
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "N",
    "null",
    "Null",
    "~",
    "12:30",
    "2024-01-02",
    "2024-01-02T10:00:00Z",
    "-1",
    "+1",
]


@pytest.mark.parametrize("value", NON_STRINGS)
def test_values_yaml_reads_as_non_strings_are_double_quoted(value: str) -> None:
    encoded = encode_scalar(value, "")
    assert encoded == f'"{value}"'
    assert YAML(typ="safe", pure=True).load(f"k: {encoded}\n") == {"k": value}


@pytest.mark.parametrize("value", ["1.2.3", "v1", "6.5.0-rc.1", "latest", "ghcr.io/a/b:1.0", "localhost:5000/x"])
def test_plain_stays_plain_when_it_reads_back(value: str) -> None:
    assert encode_scalar(value, "") == value
    assert YAML(typ="safe", pure=True).load(f"k: {value}\n") == {"k": value}


def test_quoted_styles_are_kept() -> None:
    assert encode_scalar("1234", "'") == "'1234'"
    assert encode_scalar("it's", "'") == "'it''s'"
    assert encode_scalar("1.0", '"') == '"1.0"'
    assert encode_scalar('a"b\\c\td', '"') == '"a\\"b\\\\c\\x09d"'
    tricky = 'a"b\\c\td\u2028'
    assert YAML(typ="safe", pure=True).load("k: " + encode_scalar(tricky, '"')) == {"k": tricky}


def test_flow_context_quotes_new_colons_only() -> None:
    assert encode_scalar("a:1", "", in_flow=True, old="a") == '"a:1"'
    assert encode_scalar("a:2", "", in_flow=True, old="a:1") == "a:2"
    assert encode_scalar("a:2", "", in_flow=False, old="a") == "a:2"
