# Production image: one image for web, worker and beat.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    DJANGO_SETTINGS_MODULE=patientview.settings.production
WORKDIR /app
# Tesseract reads the handwriting on scanned paper forms (paper/, docs/adr/0023): the tesserocr
# wheel brings the library, these its English and Welsh data (and the command, to try a page).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng tesseract-ocr-cym \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY patientview patientview
COPY feedback feedback
COPY analytics analytics
COPY demo demo
COPY paper paper
# torch on its own first; point pip at a CPU-only build in your build environment.
ARG TORCH_REQUIREMENT="torch==2.13.0"
RUN pip install --no-cache-dir "$TORCH_REQUIREMENT" \
    && pip install --no-cache-dir .
COPY . .
RUN DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
RUN useradd --create-home patientview \
    && mkdir -p var/uploads && chown patientview var/uploads
USER patientview
EXPOSE 8000
CMD ["gunicorn", "patientview.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4"]
