# Two stages: build the wheel, then install only that wheel into a venv of a slim image.
# tests/test_packaging.py runs these COPY and RUN steps on the host (paths swapped for
# temporary ones) and fails when they drift from what it checks: a wheel that installs
# without extras and serves the pages and /readyz.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY live ./live
COPY rooms ./rooms
RUN python -m pip wheel --no-deps --wheel-dir /wheels /src

FROM python:3.11-slim
COPY --from=build /wheels /wheels
# uv installs the wheel and its dependencies (scikit-learn, scipy and numpy come with the
# toxicity model) in seconds where pip takes most of a minute; bytecode is compiled here
# because the unprivileged user cannot write it at run time.
RUN python -m pip install --no-cache-dir "uv>=0.5"
RUN python -m venv --without-pip /opt/live
RUN uv pip install --no-cache --compile-bytecode --python /opt/live/bin/python /wheels/live-*.whl
RUN useradd --create-home --uid 10001 live
ENV PATH=/opt/live/bin:$PATH PYTHONUNBUFFERED=1
USER live
WORKDIR /home/live
EXPOSE 8000
# Liveness: the process answers. Orchestrators that route traffic use /readyz instead (see docs/operations.md).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
STOPSIGNAL SIGTERM
CMD ["live", "serve", "--host", "0.0.0.0", "--port", "8000"]
