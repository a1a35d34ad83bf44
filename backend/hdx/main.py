"""ASGI entry point for uvicorn: `hdx.main:app`."""

from hdx.app import create_app

app = create_app()
