# One image for every component; the command chooses which one runs.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY gateway ./gateway
COPY services ./services
RUN pip install --no-cache-dir .
RUN useradd --system --uid 10001 fabrique
USER fabrique
# e.g. `uvicorn --factory services.medle.app:create_app --host 0.0.0.0 --port 8104`
CMD ["uvicorn", "--factory", "gateway.app:create_app", "--host", "0.0.0.0", "--port", "8000"]
