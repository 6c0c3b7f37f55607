"""The inventory as plain JSON-ready data (``show --output json`` and the dashboard's embedded data)."""

from __future__ import annotations

from typing import Any

from gitops_promotion.history.inventory import Cell, Inventory, Pending
from gitops_promotion.history.timeline import Change, Image
from gitops_promotion.render.common import pr_url


def image_data(image: Image | None) -> dict[str, Any] | None:
    return None if image is None else {"tag": image.tag, "digest": image.digest}


def change_data(change: Change, base: str | None = None) -> dict[str, Any]:
    commit = change.commit
    return {
        "env": change.env,
        "group": change.group,
        "app": change.app,
        "image": image_data(change.image),
        "previous": image_data(change.previous),
        "commit": commit.sha,
        "timestamp": commit.timestamp,
        "author": commit.author,
        "subject": commit.subject,
        "merge": len(commit.parents) > 1,
        "pr": commit.pr_number,
        "pr_url": pr_url(base, commit.pr_number),
    }


def cell_data(cell: Cell, base: str | None = None) -> dict[str, Any]:
    return {
        "env": cell.env,
        "image": image_data(cell.image),
        "files": list(cell.files),
        "arrived": change_data(cell.arrived, base) if cell.arrived else None,
        "lag": {"state": cell.lag.state, "versions": cell.lag.versions, "since": cell.lag.since},
    }


def pending_data(pending: Pending) -> dict[str, Any]:
    return {
        "number": pending.number,
        "url": pending.url,
        "type": pending.kind,
        "group": pending.group,
        "app": pending.app,
        "tag": pending.tag,
        "env": pending.env,
        "branch": pending.head,
        "gate": pending.gate,
        "gate_detail": pending.gate_detail,
        "created_at": pending.created_at,
    }


def inventory_data(inv: Inventory, base: str | None = None) -> dict[str, Any]:
    """Everything `show` knows, keyed for scripts: environments, apps with cells and history, pending PRs."""
    return {
        "generated_at": inv.generated_at,
        "environments": [{"name": e.name, "branch": e.branch, "commit": e.rev} for e in inv.envs],
        "apps": [
            {
                "group": group,
                "app": app,
                "cells": [cell_data(inv.cell((group, app), e.name), base) for e in inv.envs],
                "history": [change_data(c, base) for c in inv.history.get((group, app), [])],
            }
            for group, app in inv.apps
        ],
        "pending": [pending_data(p) for p in inv.pending],
        "forge": inv.forge,
        "notes": list(inv.notes),
    }
