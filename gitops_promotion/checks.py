"""The names CI shows for the promotion gate, defined once: init, doctor, the templates and the docs use these.

GATE_CONTEXT is the commit status `status` and the scheduled `reconcile` post on every promotion PR's head with
the gate's verdict (Flux, soak time, windows): it is the check branch protection must require. STATUS_JOB_NAME is
the name of the `status` job (GitHub names its check after it) and of the Azure status pipeline's job, which a
build validation policy shows; any other spelling, e.g. with " / " as GitHub shows reusable workflows, is a check
that never reports.
"""

from __future__ import annotations

STATUS_JOB_NAME = "gitops-promotion status"
GATE_CONTEXT = "gitops-promotion/gate"
