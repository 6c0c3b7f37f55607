"""promote's catch-up reads what every environment runs while the event opens its own PR (issue 17).

The read (history.inventory.collect: a grep, a batch read and one log per environment, and parsing every marker
file) only reads objects of the environment branches' commits, so it runs in a thread beside the event's checkout,
commit and push, which change neither. It reads the refs as the checkout has them; afterwards the environment
branches are fetched (by the event, or here when the event fetched nothing) and the read is kept only when they
still point at the commits it read: the catch-up decides on exactly what a read after the fetch would have seen.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from gitops_promotion.context import Context
from gitops_promotion.errors import GitError
from gitops_promotion.history.inventory import Inventory, collect


class ReadAhead:
    """The inventory, read in a thread from the moment this is made."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._branches = list(dict.fromkeys(ctx.location(env, "-").branch for env in ctx.config.env_names))
        self._read: Inventory | None = None
        # Its own GitRepo: the thread's git processes never wait for, or are waited for by, the event's.
        twin = replace(ctx, repo=ctx.repo.twin())
        self._thread = threading.Thread(target=self._run, args=(twin,), name="catch-up read", daemon=True)
        self._thread.start()

    def _run(self, twin: Context) -> None:
        try:
            self._read = collect(twin, fetch=False)
        except Exception:  # read again in the caller's thread, where a failure is reported
            self._read = None

    def wait(self) -> None:
        """Let the thread finish (its git processes too), whatever happens to the event."""
        self._thread.join()

    def inventory(self) -> Inventory:
        """What every environment runs after a fetch of their branches: the read ahead when they have not moved."""
        self.wait()
        repo = self._ctx.repo
        if not set(self._branches) <= repo.fetched:
            try:
                repo.fetch(*self._branches)
            except GitError:
                return collect(self._ctx, fetch=True)  # it fetches again and notes why it could not
        read = self._read
        if read is not None and self._unmoved(read):
            return read
        return collect(self._ctx, fetch=False)

    def _unmoved(self, read: Inventory) -> bool:
        """Whether each environment branch is still at the commit the read saw (one `git rev-parse`)."""
        repo = self._ctx.repo
        seen = {env.branch: env.rev for env in read.envs}
        if None in seen.values() or set(seen) != set(self._branches):
            return False
        refs = [f"{repo.remote_ref(branch)}^{{commit}}" for branch in self._branches]
        now = repo.git("rev-parse", *refs, check=False).split()
        return now == [seen[branch] for branch in self._branches]
