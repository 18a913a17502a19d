# Two images from one file. The default (last) stage, "portal", is the production image: the portal's
# own dependencies and packages only, no emulator and no test libraries. The "emulator" stage is the
# local Auth0 tenant emulator, a development and test tool that compose runs beside the portal.
FROM python:3.11-slim AS base
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    PATH=/opt/venv/bin:$PATH
RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /app
COPY pyproject.toml uv.lock ./
# [project] dependencies only: no dependency group (emulator, local, dev).
RUN uv sync --locked --no-default-groups --no-install-project

FROM base AS emulator
# Its SAML connections check signatures with xmlsec1 (pysaml2).
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends xmlsec1 && rm -rf /var/lib/apt/lists/*
RUN uv sync --locked --no-default-groups --group emulator --no-install-project
COPY auth0_emulator/ ./auth0_emulator/
EXPOSE 8900
CMD ["python", "-m", "auth0_emulator"]

# The translation catalogs, compiled with GNU gettext (as manage.py compilemessages does): only the .mo files
# reach the image, not gettext.
FROM python:3.11-slim AS catalogs
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
COPY locale/ /locale/
RUN for po in /locale/*/LC_MESSAGES/django.po; do msgfmt --check -o "${po%.po}.mo" "$po"; done

FROM base AS portal
COPY manage.py ./
COPY config/ ./config/
COPY portal/ ./portal/
COPY auth0_gateway/ ./auth0_gateway/
COPY organizations/ ./organizations/
COPY app_roles/ ./app_roles/
COPY domains/ ./domains/
COPY sso/ ./sso/
COPY users/ ./users/
COPY history/ ./history/
COPY onboarding/ ./onboarding/
COPY signin/ ./signin/
COPY api/ ./api/
COPY scim/ ./scim/
COPY templates/ ./templates/
COPY --from=catalogs /locale/ ./locale/
COPY static/ ./static/
RUN useradd --system --home /app portal && mkdir -p /app/var && chown portal /app/var
USER portal
EXPOSE 8000
CMD ["gunicorn", "--config", "config/gunicorn_settings.py", "config.wsgi"]
