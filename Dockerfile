# The portal's one image: web (gunicorn), worker, beat and the one-shot migrate all run from it.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/app/var STATIC_ROOT=/app/staticfiles

WORKDIR /app
# The production lock only (every version and hash pinned; no test, lint or devstore tools).
COPY requirements.txt .
RUN pip install --no-cache-dir --require-hashes -r requirements.txt

COPY . .
# collectstatic needs settings that load with DEBUG off, so it gets throwaway values of every production
# secret (the encryption key a random one); they exist only in this RUN's environment, never in the image
# or a running container. The Korean catalogue is committed compiled (locale/ko/LC_MESSAGES/django.mo), so
# no gettext is needed here.
RUN DEBUG=false SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
    SHOPIFY_SHOP_DOMAIN=collectstatic-only.myshopify.com \
    SHOPIFY_CLIENT_ID=collectstatic-only SHOPIFY_CLIENT_SECRET=collectstatic-only \
    PORTAL_ENCRYPTION_KEYS="$(python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')" \
    python manage.py collectstatic --noinput \
    && useradd --create-home --uid 1000 portal && mkdir -p /app/var && chown -R portal /app/var

USER portal
EXPOSE 8000
# Behind the proxy (deploy/Caddyfile); bind, workers and logs in deploy/gunicorn.conf.py.
CMD ["gunicorn", "portal.wsgi:application", "--config", "deploy/gunicorn.conf.py"]
