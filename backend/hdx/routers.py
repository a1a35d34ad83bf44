"""Every domain's router, in the order they appear in the API docs."""

from fastapi import APIRouter

from hdx.auth.endpoints import router as auth_router
from hdx.computations.agent_endpoints import agent_router as computations_agent_router
from hdx.computations.agent_endpoints import relay_router as computations_relay_router
from hdx.computations.endpoints import keys_router as computations_keys_router
from hdx.computations.endpoints import results_router
from hdx.computations.endpoints import router as computations_router
from hdx.datasets.endpoints import router as datasets_router
from hdx.monitoring.endpoints import router as monitoring_router
from hdx.organizations.endpoints import agent_router
from hdx.organizations.endpoints import router as organizations_router
from hdx.privacy.endpoints import router as privacy_router
from hdx.realtime.endpoints import router as realtime_router
from hdx.security.endpoints import router as security_router

ROUTERS: list[APIRouter] = [
    monitoring_router,
    auth_router,
    organizations_router,
    agent_router,
    security_router,
    datasets_router,
    privacy_router,
    computations_router,
    results_router,
    computations_keys_router,
    computations_relay_router,
    computations_agent_router,
    realtime_router,
]
