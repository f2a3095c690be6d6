# The dashboard as one container: `streamlit run app.py` on 0.0.0.0:8501, as a non-root user.
#
#   docker build -t azkz-dashboard .
#   docker run --rm -p 8501:8501 -e STREAMLIT_SERVER_COOKIE_SECRET="$(openssl rand -base64 48)" \
#       --read-only --tmpfs /tmp --tmpfs /app/.cache:mode=1777 azkz-dashboard
#
# Everything is installed at build time from the exact pins of requirements.txt; at run time nothing is
# fetched (no usage statistics, no tiles, fonts or scripts from a CDN). The image holds only what the app
# reads (.dockerignore lists it). Writable at run time, and only these: /app/.cache (validated tables,
# components/data/store.py; a tmpfs/emptyDir: the app validates again when it is empty) and /tmp.
# Several replicas behind a load balancer need sticky sessions and one shared cookie secret: deploy/k8s/.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    STREAMLIT_SERVER_HEADLESS=true \
    AZKZ_STORE_DIR=/app/.cache/validated \
    HOME=/tmp

WORKDIR /app

# Dependencies first (their layer is reused while only the app changes), exactly as pinned.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt && pip check

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app

# The app, owned by root and read-only for the app's user; only .cache/ is the user's.
COPY . .
RUN python -m compileall -q /app \
    && mkdir -p /app/.cache/validated \
    && chown -R app:app /app/.cache
# Bytecode is compiled above; at run time the file system may be read-only.
ENV PYTHONDONTWRITEBYTECODE=1

USER 10001:10001
EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).status != 200)"]

CMD ["streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501"]
