"""Every domain's router, in the order they appear in the API docs."""

from fastapi import APIRouter

from hdx.monitoring.endpoints import router as monitoring_router
from hdx.organizations.endpoints import agent_router
from hdx.organizations.endpoints import router as organizations_router
from hdx.security.endpoints import router as security_router

ROUTERS: list[APIRouter] = [monitoring_router, organizations_router, agent_router, security_router]
