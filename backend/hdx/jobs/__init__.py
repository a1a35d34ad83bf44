"""Background jobs: the periodic deadline sweep and the hosted agent's steps.

Embedded by default (asyncio tasks in the API process); with Redis, a taskiq broker whose tasks the
separate `hdx worker` processes run while the API only enqueues.
"""
