# MAIS production image: multi-stage, non-root, runs `mais serve`.
# Build:  docker build -t mais-api .
# Run:    docker run --env-file .env -p 3001:3001 mais-api
FROM python:3.11-slim AS build
WORKDIR /build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY requirements.lock pyproject.toml README.md ./
COPY src ./src
# The tenant guides and their screenshots (src/mais/help links to these folders).
COPY docs/guides ./docs/guides
COPY docs/screenshots ./docs/screenshots
RUN python -m venv /opt/mais \
 && /opt/mais/bin/pip install -r requirements.lock \
 && /opt/mais/bin/pip install --no-deps .

FROM python:3.11-slim
RUN useradd --system --create-home --uid 10001 mais
COPY --from=build /opt/mais /opt/mais
ENV PATH=/opt/mais/bin:$PATH \
    NODE_ENV=production \
    ADAPTERS_PRESET=real \
    PORT=3001 \
    DATA_DIR=/home/mais/var \
    PYTHONUNBUFFERED=1
USER mais
WORKDIR /home/mais
EXPOSE 3001
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/health/live', timeout=4)"
CMD ["mais", "serve"]
