# syntax=docker/dockerfile:1
# gitops-promotion container image. Use it like the Go tool's image:
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD:/workspace" -e GITHUB_TOKEN IMAGE new --group g --app a --tag t
# The base is pinned to an exact Python patch release and its digest; Dependabot proposes new digests.
ARG PYTHON_IMAGE=python:3.12.11-slim-bookworm@sha256:519591d6871b7bc437060736b9f7456b8731f1499a57e22e6c285135ae657bf7

# Build stage: the wheel, built with the locked build tools, installed with the locked dependencies (every file
# hash-checked: the image holds the bytes the release was tested with) into a self-contained venv.
FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY requirements.txt pyproject.toml README.md ./
COPY requirements/build.txt ./requirements/
COPY gitops_promotion ./gitops_promotion
RUN python -m venv /opt/build \
    && /opt/build/bin/python -m pip install --no-cache-dir --disable-pip-version-check --require-hashes --no-deps \
        -r requirements/build.txt \
    && /opt/build/bin/python -m build --no-isolation --wheel --outdir /dist /src \
    && python -m venv /opt/gitops-promotion \
    && /opt/gitops-promotion/bin/python -m pip install --no-cache-dir --disable-pip-version-check --require-hashes \
        --no-deps -r requirements.txt \
    && /opt/gitops-promotion/bin/python -m pip install --no-cache-dir --disable-pip-version-check --no-deps /dist/*.whl

# Runtime stage: the venv, git (the CLI runs it), tini as PID 1 so signals reach the CLI, no build tools.
FROM ${PYTHON_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends git openssh-client ca-certificates tini \
    && rm -rf /var/lib/apt/lists/* \
    # The mounted checkout belongs to the host user; without this git refuses it as "dubious ownership".
    && git config --system --add safe.directory '*' \
    && useradd --uid 10001 --user-group --create-home --home-dir /home/gitops --shell /usr/sbin/nologin gitops
COPY --from=build /opt/gitops-promotion /opt/gitops-promotion
ENV PATH=/opt/gitops-promotion/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /workspace
ENTRYPOINT ["/usr/bin/tini", "--", "gitops-promotion"]
CMD ["--help"]
