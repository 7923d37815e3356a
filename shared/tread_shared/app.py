"""The service factory: every Tread service is built the same way.

A service hands :func:`create_service_app` its settings, routers and consumers; the factory adds
problem details, auth, request context, idempotency, health, metrics, the outbox relay, the
consumers, and the ``instance.started`` event."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.types import ASGIApp

from tread_shared.auth.tokens import TokenVerifier
from tread_shared.background import stop_tasks
from tread_shared.clock import utcnow
from tread_shared.db.engine import Database
from tread_shared.db.session import ServiceRoute
from tread_shared.errors import PROBLEM_RESPONSES, document_problems, install_problem_handlers
from tread_shared.events.broker import Broker
from tread_shared.events.consumer import ConsumerSpec, EventConsumer
from tread_shared.events.outbox import Outbox
from tread_shared.events.payloads.platform import InstanceStarted
from tread_shared.events.relay import OutboxRelay
from tread_shared.events.retention import purge_periodically
from tread_shared.garbage_collection import collect_less_often, time_pauses
from tread_shared.http.compression import Compression
from tread_shared.http.idempotency import IdempotencyMiddleware
from tread_shared.http.openapi import document_contract
from tread_shared.http.request_context import RequestContextMiddleware
from tread_shared.http.request_limits import RequestLimitsMiddleware
from tread_shared.http.route_index import RouteIndex
from tread_shared.observability.health import health_router
from tread_shared.observability.logs import configure_logging
from tread_shared.observability.metrics import metrics_router
from tread_shared.settings import ServiceSettings

log = logging.getLogger(__name__)


@dataclass
class ServiceRuntime:
    """What a running service holds: reachable from routes as ``request.app.state``."""

    settings: ServiceSettings
    db: Database
    broker: Broker | None
    outbox: Outbox
    relay: OutboxRelay | None = None
    consumers: list[EventConsumer] = field(default_factory=list)


SHUTDOWN_STEP_SECONDS = 2.0

ConsumerFactory = Callable[[ServiceRuntime], ConsumerSpec]


class ServiceApp(FastAPI):
    """FastAPI with five layers around the routes instead of nine.

    FastAPI wraps the app's own middleware in a server-error layer, a telemetry layer and a
    body-limit layer, and puts an exit-stack layer inside; every layer is a coroutine frame per
    request and per message sent. Here :class:`RequestContextMiddleware` is the outermost layer
    and already answers an unhandled error with a problem document (the server-error layer's
    job), Tread has no OpenTelemetry and no ``max_body_size`` (its limits are
    :class:`RequestLimitsMiddleware`'s), and the exit stack FastAPI's handler wants for closing
    uploaded files is opened by :class:`RequestContextMiddleware`. A request tries only the
    routes its path could match (:class:`RouteIndex`). An app built any other way keeps
    FastAPI's stack."""

    def build_middleware_stack(self) -> ASGIApp:
        outermost: object = self.user_middleware[0].cls if self.user_middleware else None
        if outermost is not RequestContextMiddleware or self.max_body_size is not None:
            return super().build_middleware_stack()
        handlers = {
            key: handler
            for key, handler in self.exception_handlers.items()
            if key not in (500, Exception)
        }
        # The routes a request could match, not every route (http.route_index); a router with
        # middleware of its own is called as it is.
        router = self.router
        routes: ASGIApp = RouteIndex(router) if router.middleware_stack == router.app else router
        app: ASGIApp = ExceptionMiddleware(routes, handlers=handlers, debug=self.debug)
        for cls, args, kwargs in reversed(self.user_middleware):
            if cls is IdempotencyMiddleware and _every_post_takes_the_key(self):
                kwargs = {**kwargs, "routes_take_the_key": True}
            app = cls(app, *args, **kwargs)
        return app


def _every_post_takes_the_key(app: FastAPI) -> bool:
    """Whether every POST route is a :class:`ServiceRoute` (``include_flat``'s are): then
    :class:`IdempotencyMiddleware` leaves the look-up for a stored answer to them. A route
    added any other way keeps the look-up before the app, for every route."""
    return all(
        isinstance(route, ServiceRoute)
        for route in app.routes
        if isinstance(route, APIRoute) and "POST" in (route.methods or ())
    )


def include_flat(app: FastAPI, router: APIRouter) -> None:
    """``app.include_router(router)``, with the router's routes made routes of the app itself.

    FastAPI keeps an included router as one route that matches through the router on every
    request, at a cost that grows with the routers before it (a 404 under ``/v1/cases`` in
    accounts: 175 -> 119 us with :class:`ServiceApp`'s layers). The routes are added as
    ``include_router`` would make them: same path, endpoint, answers, tags, operationId and
    dependency overrides (the OpenAPI document is the same, byte for byte; a test compares).
    Every route is a :class:`ServiceRoute`: one that takes ``DbSession`` runs inside its unit
    of work, and a POST looks for a keyed request's stored answer before anything of the route
    runs."""
    for route in router.routes:
        if type(route) is not APIRoute:
            app.include_router(APIRouter(routes=[route]))
            continue
        app.router.add_api_route(
            route.path,
            route.endpoint,
            response_model=route.response_model,
            status_code=route.status_code,
            tags=route.tags,
            dependencies=route.dependencies,
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            responses=route.responses,
            deprecated=route.deprecated,
            methods=route.methods,
            operation_id=route.operation_id,
            response_model_include=route.response_model_include,
            response_model_exclude=route.response_model_exclude,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            include_in_schema=route.include_in_schema,
            response_class=route.response_class,
            name=route.name,
            callbacks=route.callbacks,
            openapi_extra=route.openapi_extra,
            generate_unique_id_function=route.generate_unique_id_function,
            strict_content_type=route.strict_content_type,
            max_body_size=route.max_body_size,
            form_limits=route.form_limits or None,
            route_class_override=ServiceRoute,
        )


def human_operation_id(route: APIRoute) -> str:
    """Stable, human operationIds: the route function's name (``create_account``)."""
    return route.name


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    routers: Sequence[APIRouter] = (),
    consumers: Sequence[ConsumerFactory] = (),
) -> FastAPI:
    """Build a Tread service. Background work (relay, consumers) runs inside the lifespan."""
    configure_logging(settings.service_name, settings.log_level, settings.log_json)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(
            settings.resolved_database_url,
            pool_size=settings.database_pool_size,
            echo=settings.database_echo,
            connection_wait_seconds=settings.database_connection_wait_seconds,
        )
        broker = Broker(settings) if settings.events_enabled else None
        runtime = ServiceRuntime(
            settings=settings,
            db=db,
            broker=broker,
            outbox=Outbox(settings.service_name, settings.nats_subject_root),
        )
        app.state.runtime = runtime
        app.state.db = db
        app.state.broker = broker
        app.state.outbox = runtime.outbox
        tasks: list[asyncio.Task[None]] = []
        if broker is not None:
            broker.start()
            runtime.relay = OutboxRelay(
                db,
                broker,
                service=settings.service_name,
                batch_size=settings.relay_batch_size,
                poll_seconds=settings.relay_poll_seconds,
                holder=f"{settings.service_name}-{settings.instance_id}",
            )
            tasks.append(asyncio.create_task(runtime.relay.run(), name="outbox-relay"))
            for factory in consumers:
                consumer = EventConsumer(factory(runtime), db, broker, settings)
                runtime.consumers.append(consumer)
                tasks.append(
                    asyncio.create_task(consumer.run(), name=f"consumer-{consumer.durable}")
                )
        tasks.append(asyncio.create_task(purge_periodically(db, settings), name="retention"))
        if not await _announce_start(runtime):
            # A database down at start makes the service not ready (``/readyz``); it does not
            # keep it from starting. The event is recorded once the database answers.
            tasks.append(asyncio.create_task(_keep_announcing(runtime), name="announce-start"))
        time_pauses(settings.service_name)
        collect_less_often(settings.gc_gen0_threshold)
        log.info("%s started (instance %s)", settings.service_name, settings.instance_id)
        try:
            yield
        finally:
            await stop_tasks(tasks)
            if runtime.relay is not None and runtime.relay.holds_lease:
                # Best effort, and bounded: an unreachable database must not hold the exit.
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(SHUTDOWN_STEP_SECONDS):
                        await runtime.relay.release()
            if broker is not None:
                await broker.close()
            await db.dispose()
            log.info("%s stopped", settings.service_name)

    app = ServiceApp(
        title=title,
        version=settings.version,
        lifespan=lifespan,
        generate_unique_id_function=human_operation_id,
        responses=PROBLEM_RESPONSES,
        # Starlette's redirect of /v1/accounts/ to /v1/accounts names the Host header the
        # client sent (evil.example) in Location: no redirects, a 404 problem instead.
        redirect_slashes=False,
        # Tread has no OpenTelemetry (Prometheus metrics, its own trace context): FastAPI's
        # native telemetry would look for a global provider on every request all the same.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.settings = settings
    app.state.token_verifier = TokenVerifier.from_settings(settings)
    install_problem_handlers(app)
    document_problems(app)
    app.add_middleware(
        IdempotencyMiddleware,
        ttl_hours=settings.idempotency_ttl_hours,
    )
    app.add_middleware(
        RequestLimitsMiddleware,
        max_body_bytes=settings.max_request_body_bytes,
        body_caps=settings.request_body_caps,
        max_header_bytes=settings.max_request_header_bytes,
    )
    # zlib's own default level: a third of level 9's time (Starlette's default) for a body 5 %
    # larger; a 12 MB report compresses in 0.1 s instead of 0.3 s.
    app.add_middleware(Compression, minimum_size=1024, compresslevel=6)
    app.add_middleware(RequestContextMiddleware, service=settings.service_name)
    for router in (health_router, metrics_router, *routers):
        include_flat(app, router)
    routes_of = tuple(id(router) for router in routers)
    if routes_of not in _routers_checked:
        _refuse_duplicate_operation_ids(app)
        _routers_checked.add(routes_of)
    document_contract(app)
    return app


# The routers (module-level objects, alive for the process) whose operationIds were found unique:
# the check builds every route's context, about 0.1 s, which tests creating an app per test
# paid each time.
_routers_checked: set[tuple[int, ...]] = set()


def _refuse_duplicate_operation_ids(app: FastAPI) -> None:
    # Client generators name their methods after operationIds: two alike would collide.
    seen: dict[str, str] = {}
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        operation_id = route.operation_id or route.unique_id
        if operation_id in seen:
            raise ValueError(
                f"operationId {operation_id!r} is used by {seen[operation_id]} and {route.path}:"
                " rename one of the route functions"
            )
        seen[operation_id] = route.path or ""


async def _announce_start(runtime: ServiceRuntime) -> bool:
    """Record ``instance.started``; ``False`` when the database did not take it in time."""
    settings = runtime.settings
    try:
        async with asyncio.timeout(settings.readiness_timeout_seconds):
            async with runtime.db.unit_of_work() as session:
                await runtime.outbox.add(
                    session,
                    InstanceStarted(
                        service_name=settings.service_name,
                        instance_id=settings.instance_id,
                        software_version=settings.version,
                        started_at=utcnow(),
                    ),
                    subject=settings.instance_id,
                )
    except Exception as exc:  # noqa: BLE001 - the database may come up later
        log.warning("cannot record instance.started yet: %s", exc or type(exc).__name__)
        return False
    return True


async def _keep_announcing(runtime: ServiceRuntime) -> None:
    delay = 0.5
    while not await _announce_start(runtime):
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)


async def get_outbox(request: Request) -> Outbox:
    # async: FastAPI runs a plain ``def`` dependency in a worker thread, a hand-off per write
    outbox: Outbox = request.app.state.outbox
    return outbox


EventOutbox = Annotated[Outbox, Depends(get_outbox)]
