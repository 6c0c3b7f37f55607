"""The names CI shows for the promotion gate, defined once: init, doctor, the templates and the docs use these.

GitHub names a job's check after the job's `name:`, so the `status` job in gitops-promotion-status.yml is
called exactly STATUS_JOB_NAME, and that is the check branch protection must require (any other spelling, e.g.
with " / " as GitHub shows reusable workflows, is a check that never reports, and PRs wait forever). On Azure DevOps the
status pipeline's job carries the same display name. GATE_CONTEXT is the commit status the gate posts with
its verdict.
"""

from __future__ import annotations

STATUS_JOB_NAME = "gitops-promotion status"
GATE_CONTEXT = "gitops-promotion/gate"
