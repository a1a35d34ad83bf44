"""Every domain's router, in the order they appear in the API docs."""

from fastapi import APIRouter

from hdx.monitoring.endpoints import router as monitoring_router

ROUTERS: list[APIRouter] = [monitoring_router]
