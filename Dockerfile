# pollama's image: `pollama serve` on 0.0.0.0:11434, models in the /root/.ollama volume, as
# Ollama's own image (its Dockerfile: ENV OLLAMA_HOST=0.0.0.0:11434, EXPOSE 11434,
# ENTRYPOINT ["/bin/ollama"], CMD ["serve"]). CPU only. docs/deployment.md tells how to use it.
#
#   docker build -t pollama .
#   docker run -d -p 11434:11434 -v pollama:/root/.ollama --name pollama pollama

# Stage 1: wheels for pollama and every dependency. llama-cpp-python is compiled here, once.
FROM python:3.11-slim-bookworm AS build

# ggml tuned for a CPU baseline (AVX2, FMA, F16C) so the image runs on any x86-64 of the last
# decade; `--build-arg CMAKE_ARGS=-DGGML_NATIVE=ON` tunes it for the building machine instead.
ARG CMAKE_ARGS="-DGGML_NATIVE=OFF"
ENV CMAKE_ARGS=${CMAKE_ARGS} \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Debian's packages are not pinned: the base image's release pins them.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --wheel-dir /wheels .

# Stage 2: the runtime, without compilers: Python, the wheels, and llama.cpp's OpenMP library.
FROM python:3.11-slim-bookworm

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1

# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

# The wheels come in through a bind mount, so they take no layer of their own.
# hadolint ignore=DL3013
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels pollama \
    && mkdir -p /root/.ollama/models

COPY deploy/healthcheck.py /usr/local/lib/pollama/healthcheck.py

ENV OLLAMA_HOST=0.0.0.0:11434 \
    OLLAMA_MODELS=/root/.ollama/models
VOLUME ["/root/.ollama"]
EXPOSE 11434

HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "/usr/local/lib/pollama/healthcheck.py"]

ENTRYPOINT ["pollama"]
CMD ["serve"]
