# One image for every Warble process (web, ws, worker, beat, migrate);
# docker-compose.yml picks the command of each.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so this layer is rebuilt only when requirements.txt changes.
# Every pinned package ships manylinux wheels: no compiler needed.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files (admin, Swagger UI and ReDoc from the sidecar) are baked into the
# image at var/static, where the web server serves them. collectstatic needs no
# secrets or services: with no environment set, settings load in embedded mode.
RUN python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app --no-create-home warble \
    && chown -R warble /app/var

USER warble
EXPOSE 8000 8001
CMD ["granian", "--interface", "wsgi", "--host", "0.0.0.0", "--port", "8000", \
     "--static-path-mount", "/app/var/static", "config.wsgi:application"]
