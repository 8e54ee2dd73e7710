"""The JSON API (/v1): FastAPI routes over `services`, described by OpenAPI (/openapi.json)."""
