# One image for every process of the product (web, worker, beat, emulator); compose picks the command.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    PATH=/opt/venv/bin:$PATH

RUN pip install --no-cache-dir uv==0.13.8
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
COPY . .
RUN useradd --system --home /app portal && mkdir -p /app/var && chown portal /app/var
USER portal
EXPOSE 8000 8900
CMD ["gunicorn", "--config", "portal/gunicorn.conf.py", "portal.wsgi"]
