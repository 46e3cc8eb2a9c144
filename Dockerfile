FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY live ./live
COPY rooms ./rooms
COPY static ./static
RUN pip install --no-cache-dir -e .
EXPOSE 8000
CMD ["live", "serve", "--host", "0.0.0.0", "--port", "8000"]
