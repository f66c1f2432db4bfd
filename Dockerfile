# The newsfacet worker and setup image.
FROM python:3.11.9-slim-bookworm
WORKDIR /app
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1
COPY pyproject.toml constraints.txt README.md ./
COPY newsfacet newsfacet
COPY flows flows
COPY transforms transforms
COPY readers readers
COPY search search
COPY config config
RUN pip install --no-cache-dir -c constraints.txt -e .
VOLUME ["/drop", "/state"]
CMD ["newsfacet", "serve"]
