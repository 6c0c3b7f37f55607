"""Kubernetes names: group and app names as flags give them, and the DNS label rule environment names share.

Flux can only ever match a marker whose names are Kubernetes names: the group is the ImagePolicy's namespace (a
DNS-1123 label, at most 63 characters) and the app is its name (a DNS-1123 subdomain, at most 253). Anything
else is refused up front, naming the flag, instead of failing later on a directory that cannot exist (issue 14).
"""

from __future__ import annotations

import re

from gitops_promotion.errors import ConfigError

_LABEL_MAX = 63
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_RULES = {
    # kind: (longest, what the name is to Flux, what it may hold)
    "group": (63, "the ImagePolicy's namespace, a DNS-1123 label", "lowercase letters, digits and '-'"),
    "app": (253, "the ImagePolicy's name, a DNS-1123 subdomain", "lowercase letters, digits, '-' and '.'"),
}


def is_dns_label(value: str) -> bool:
    """A DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, <= 63."""
    return len(value) <= _LABEL_MAX and _LABEL.match(value) is not None


def validate_name(kind: str, value: str) -> str:
    """Check a group (DNS-1123 label) or app (DNS-1123 subdomain) name; the error names the flag."""
    longest, role, chars = _RULES[kind]
    parts = value.split(".") if kind == "app" else [value]
    if len(value) > longest or not all(is_dns_label(p) for p in parts):
        msg = (
            f"--{kind} {value!r} is not a valid name: it is {role} ({chars}, starting and ending with a letter or "
            f"digit, at most {longest} characters), or Flux can never match it"
        )
        raise ConfigError(msg)
    return value
