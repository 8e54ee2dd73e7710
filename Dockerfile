# smsgate: the gateway in a container (README, "Operating"; docs/deployment.md).
#   docker build -t smsgate .
#   docker run -p 8080:8080 -v smsgate-data:/var/lib/smsgate/data smsgate
# With no SMSGATE_DATABASE_URL it keeps a SQLite file in the data volume; with no SMPP
# connection configured (SMSGATE_CONFIG) it delivers to its built-in simulator.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
RUN pip install . \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/smsgate --create-home smsgate \
    && mkdir -p /var/lib/smsgate/data \
    && chown smsgate:smsgate /var/lib/smsgate/data

USER smsgate
WORKDIR /var/lib/smsgate
ENV SMSGATE_HOST=0.0.0.0 \
    SMSGATE_PORT=8080 \
    SMSGATE_DATA_DIR=/var/lib/smsgate/data
VOLUME ["/var/lib/smsgate/data"]
EXPOSE 8080

# Ready, not merely alive: the store takes a write and, with SMPP connections, a bind is up.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; r.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('SMSGATE_PORT', '8080'), timeout=4)"]

# SIGTERM: finish requests, give unsent messages back, unbind, write the last statuses.
STOPSIGNAL SIGTERM
CMD ["smsgate", "serve"]
