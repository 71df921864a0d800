"""The analysts' workbench: an ASGI application over the store (``vigil serve``).

Every page is registered twice from one view (:mod:`vigil.web.views`): as HTML at its path
and as JSON at ``/api/v1`` + path, and both go through :func:`_serve`, which asks
``permission_allowed`` for the page's action, runs the view on a store scoped to the caller,
and appends sensitive reads to the audit log. :data:`PAGES` and :data:`FORMS` are the route
table the access-matrix test is generated from.

Concurrency: the application owns the store file (DuckDB allows one writing process).
Readers each get their own cursor (DuckDB's MVCC: a reader never waits for a writer); writes
from the UI (submissions, judgements) take one writer lock, and attribution after a
judgement runs as a background job whose progress is at ``/api/v1/jobs/{id}``.
"""

from __future__ import annotations

import inspect
import sys
import threading
import typing
import uuid
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Final
from urllib.parse import quote

from fastapi import FastAPI, File, Form, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request

from vigil import __version__
from vigil.access import audit, permission_allowed
from vigil.access.scope import ScopePool
from vigil.access.policy import Actor
from vigil.access.submissions import MAX_UPLOAD_BYTES, submit_reports, submit_url
from vigil.accounts import authenticate, end_session, start_session
from vigil.errors import VigilError
from vigil.store.engine import DuckDBEngine
from vigil.store.store import Store, utcnow
from vigil.web import views
from vigil.web.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE, Caller, LoginLimiter, SecurityHeaders, caller, csrf_ok, new_csrf

STATIC: Final = Path(__file__).parent / "static"


@dataclass(frozen=True)
class Page:
    path: str
    name: str
    action: str | None  # None: any signed-in account
    template: str | None  # None: JSON only
    view: Callable[..., dict[str, Any]]
    sensitive: bool = True  # reads are audited
    cached: bool = False  # the data is a function of the scoped store alone: kept per (scope, data version)


PAGES: Final = (
    Page("/", "home", None, "home.html", views.home, sensitive=False),
    Page("/search", "search", "search", "search.html", views.search_page, cached=True),
    Page("/url", "url", "view_entity", "url.html", views.url_page, cached=True),
    Page("/domain/{domain}", "domain", "view_entity", "domain.html", views.domain_page, cached=True),
    Page("/asn/{asn}", "asn", "view_entity", "asn.html", views.asn_page, cached=True),
    Page("/identifier", "identifier", "view_entity", "identifier.html", views.identifier_page, cached=True),
    Page("/brand/{brand_id}", "brand", "view_brand", "brand.html", views.brand_page, cached=True),
    Page("/distributor/{distributor_id}", "distributor", "view_distributor", "distributor.html", views.distributor_page, cached=True),
    Page("/distributor/{distributor_id}/graph", "graph", "view_distributor", None, views.graph_page, cached=True),
    Page("/dashboard", "dashboard", "view_dashboard", "dashboard.html", views.dashboard_page, cached=True),
    Page("/export/attribution", "export", "export", None, views.export_page),
    Page("/submit", "submit", "submit_report", "submit.html", views.submit_form, sensitive=False),
    Page("/submissions", "submissions", "view_submissions", "submissions.html", views.submissions_page),
    Page("/audit", "audit", "view_audit", "audit.html", views.audit_page),
    Page("/reports", "reports", "export", "reports.html", views.reports_page),
    Page("/markings", "markings", "set_marking", "markings.html", views.markings_page),
)
#: POST routes (HTML form at the path, JSON twin under /api/v1) and the action each needs.
FORMS: Final = {"/submit": "submit_report", "/submit/upload": "submit_report", "/judge": "judge", "/markings": "set_marking",
                     "/reports": "export"}
#: Routes anyone may reach (they sign in, or serve static files and the API description).
PUBLIC: Final = ("/login", "/static", "/api/v1/openapi.json", "/healthz")


@dataclass
class Job:
    job_id: str
    kind: str
    state: str = "running"
    detail: dict[str, Any] = field(default_factory=dict)
    thread: threading.Thread | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "kind": self.kind, "state": self.state, "detail": self.detail}


class _Main:
    """The application's store for one request: its own cursor (audit, submissions)."""

    def __init__(self, store: Store) -> None:
        self.con = store.con.cursor()
        self.path = store.path
        self.engine = DuckDBEngine(self.con)

    def close(self) -> None:
        self.con.close()


class WebState:
    def __init__(self, store: Store, *, secure_cookies: bool, processors: Sequence[Path] = ()) -> None:
        from vigil.attribute.processors import Processors

        self.store = store
        self.processor_files = tuple(processors)  # `vigil serve --processors`: for attribution re-runs
        self.processors = Processors.load(list(self.processor_files))  # ... and for §5 and the report
        self.secure_cookies = secure_cookies
        self.write_lock = threading.Lock()
        self.limiter = LoginLimiter()
        self.jobs: dict[str, Job] = {}
        self.pool = ScopePool(store)
        self.pages = PageCache()
        self.env = Environment(loader=PackageLoader("vigil.web", "templates"), autoescape=select_autoescape(default=True))
        self.env.globals.update(version=__version__, quote=quote)


class PageCache:
    """The data of cacheable pages, kept per (scope key, data version, page, parameters), least
    recently used out first. The scope key holds everything a scoped connection's tables depend
    on (:class:`vigil.access.scope.ScopeKey`), so two callers with one key see the same data;
    a new data version or attribution run makes new keys, and old entries age out."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._data: OrderedDict[Hashable, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> dict[str, Any] | None:
        with self._lock:
            got = self._data.get(key)
            if got is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return got

    def put(self, key: Hashable, data: dict[str, Any]) -> None:
        with self._lock:
            self._data[key] = data
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _render(state: WebState, request: Request, template: str, data: dict[str, Any], *, who: Caller | None,
            status: int = 200) -> HTMLResponse:  # fmt: skip
    actor = who.actor if who else None
    html = state.env.get_template(template).render(
        data=data, me=actor, csrf=who.csrf if who else None, path=request.url.path,
        allowed=lambda action: permission_allowed(actor, action),
    )  # fmt: skip
    return HTMLResponse(html, status_code=status)


def _error(state: WebState, request: Request, status: int, message: str, who: Caller | None = None) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    return _render(state, request, "error.html", {"status": status, "message": message}, who=who, status=status)


def _unauthenticated(state: WebState, request: Request) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": "sign in, or send an API token as 'Authorization: Bearer …'"}, status_code=401)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)


def _resource(page: Page, kwargs: dict[str, Any]) -> str:
    return page.name + "".join(f" {k}={str(v)[:200]}" for k, v in sorted(kwargs.items()))


def _serve(state: WebState, request: Request, page: Page, kwargs: dict[str, Any], *, as_json: bool) -> Response:
    main = _Main(state.store)
    try:
        who = caller(main.con, request)
        if who is None:
            return _unauthenticated(state, request)
        if page.action is not None and not permission_allowed(who.actor, page.action):
            audit(main.con, who.actor, "denied", _resource(page, kwargs))
            return _error(state, request, 403, "your role does not allow this page", who)
        try:
            key = state.pool.key(who.actor)
            memo = (key, state.pool.version, page.name, tuple(sorted(kwargs.items()))) if page.cached else None
            data = state.pages.get(memo) if memo is not None else None
            if data is None:
                with state.pool.scoped(who.actor, key=key) as view:
                    data = page.view(views.View(who.actor, view, main, state.processors), **kwargs)
                    served = view.data_version  # older than the pool's while another request refreshes the sets
                if memo is not None:
                    state.pages.put((key, served, *memo[2:]), data)
        except views.NotFound:
            return _error(state, request, 404, "nothing here that you may see", who)
        except (views.BadRequest, VigilError) as exc:
            return _error(state, request, 400, str(exc), who)
        if page.sensitive:
            audit(main.con, who.actor, "read", _resource(page, kwargs), via=who.via)
        if as_json or page.template is None:
            return JSONResponse(jsonable_encoder(data))
        return _render(state, request, page.template, data, who=who)
    finally:
        main.close()


def _register_page(app: FastAPI, state: WebState, page: Page) -> None:
    hints = typing.get_type_hints(page.view)
    params = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints.get(p.name, str))
        for p in list(inspect.signature(page.view).parameters.values())[1:]
    ]
    signature = inspect.Signature([inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request), *params])

    def make(as_json: bool) -> Callable[..., Response]:
        def endpoint(request: Request, **kwargs: Any) -> Response:
            return _serve(state, request, page, kwargs, as_json=as_json)

        endpoint.__signature__ = signature  # type: ignore[attr-defined]
        endpoint.__name__ = f"{page.name}_{'api' if as_json else 'page'}"
        return endpoint

    if page.template is not None:
        app.add_api_route(page.path, make(False), methods=["GET"], response_class=HTMLResponse, include_in_schema=False)
    app.add_api_route("/api/v1" + page.path.rstrip("/") if page.path != "/" else "/api/v1/me", make(True), methods=["GET"],
                      summary=(page.view.__doc__ or page.name).strip().splitlines()[0], tags=[page.name])  # fmt: skip


def _guard_post(state: WebState, main: _Main, request: Request, action: str, csrf: str | None) -> Caller | Response:
    """The caller of a form POST, once its permission and CSRF token are checked."""
    who = caller(main.con, request)
    if who is None:
        return _unauthenticated(state, request)
    if who.via == "session" and not csrf_ok(who.csrf, csrf or request.headers.get("x-csrf-token")):
        audit(main.con, who.actor, "denied", f"{request.url.path} (CSRF token missing or wrong)")
        return _error(state, request, 403, "the form's CSRF token is missing or wrong: reload the page and try again", who)
    if not permission_allowed(who.actor, action):
        audit(main.con, who.actor, "denied", request.url.path)
        return _error(state, request, 403, "your role does not allow this", who)
    return who


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@contextmanager
def _fair_threads(interval: float = 0.0005) -> Iterator[None]:
    """While a bulk upload parses (pure Python, under ``write_lock``, so one at a time), let the
    interpreter hand the GIL to page requests every ``interval`` s instead of every 5 ms: a page
    request takes and gives back the GIL at every DuckDB call, and at 5 ms a turn a parsing
    thread held pages up for seconds (bench_web with --ingest)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, interval))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def create_app(db: Path | str, *, secure_cookies: bool = True, store: Store | None = None,
               processors: Sequence[Path] = ()) -> FastAPI:  # fmt: skip
    """The application on the store file ``db`` (opened for writing: the app owns it).

    ``processors``: the user's processors files (docs/identifiers.md), for the payments
    dashboard, the report library and attribution re-runs after a judgement."""
    state = WebState(store or Store(db), secure_cookies=secure_cookies, processors=processors)
    app = FastAPI(title="Vigil", version=__version__, docs_url=None, redoc_url=None, openapi_url="/api/v1/openapi.json",
                  description="The analysts' workbench: every page's data as JSON, scoped to what the caller may see.")  # fmt: skip
    app.state.vigil = state
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    for page in PAGES:
        _register_page(app, state, page)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:  # browsers ask for it on pages without a <link rel=icon> (the JSON API)
        return Response((STATIC / "favicon.svg").read_bytes(), media_type="image/svg+xml")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/login", include_in_schema=False, response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> Response:  # noqa: A002
        token = new_csrf()
        response = _render(state, request, "login.html", {"next": _safe_next(next), "login_csrf": token}, who=None)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, secure=state.secure_cookies, samesite="strict", path="/login")
        return response

    @app.post("/login", include_in_schema=False)
    def login(request: Request, username: str = Form(""), password: str = Form(""), csrf: str = Form(""),
              next: str = Form("/")) -> Response:  # noqa: A002  # fmt: skip
        main = _Main(state.store)
        try:
            client = request.client.host if request.client else "-"
            keys = (f"user:{username[:64]}", f"client:{client}")
            if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), csrf):
                return _error(state, request, 403, "the sign-in form expired: reload it and try again")
            if state.limiter.blocked(*keys):
                audit(main.con, f"login:{username[:64]}", "login.blocked", client)
                return _error(state, request, 429, "too many failed sign-ins: wait a few minutes")
            actor = authenticate(main.con, username[:64], password[:1024])
            if actor is None:
                state.limiter.failed(*keys)
                audit(main.con, f"login:{username[:64]}", "login.failed", client)
                return _render(state, request, "login.html", {"next": _safe_next(next), "login_csrf": csrf,
                                                              "failed": True}, who=None, status=401)  # fmt: skip
            state.limiter.succeeded(*keys)
            with state.write_lock:
                token, _ = start_session(main.con, actor)
            audit(main.con, actor, "login", client)
            response = RedirectResponse(_safe_next(next), status_code=303)
            response.set_cookie(SESSION_COOKIE, token, httponly=True, secure=state.secure_cookies, samesite="strict", path="/")
            response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
            return response
        finally:
            main.close()

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, csrf: str = Form("")) -> Response:
        main = _Main(state.store)
        try:
            who = caller(main.con, request)
            if who is not None and who.via == "session" and csrf_ok(who.csrf, csrf):
                end_session(main.con, request.cookies.get(SESSION_COOKIE, ""))
                audit(main.con, who.actor, "logout")
            response = RedirectResponse("/login", status_code=303)
            response.delete_cookie(SESSION_COOKIE, path="/")
            return response
        finally:
            main.close()

    def _submitted(request: Request, who: Caller, result: dict[str, Any], as_json: bool) -> Response:
        if as_json:
            return JSONResponse(jsonable_encoder(result))
        return _render(state, request, "submitted.html", result, who=who)

    def submit_one(request: Request, url: str, reported_at: str, commercial: str, notes: str, csrf: str, as_json: bool) -> Response:
        main = _Main(state.store)
        try:
            who = _guard_post(state, main, request, "submit_report", csrf)
            if not isinstance(who, Caller):
                return who
            with state.write_lock:
                result = submit_url(main, who.actor, url=url[:8192], reported_at=reported_at or utcnow().isoformat(timespec="seconds"),
                                    commercial=commercial, notes=notes[:65536]).as_dict()  # fmt: skip
                state.pool.changed()
            audit(main.con, who.actor, "submit", "report form", counts=result["counts"])
            return _submitted(request, who, result, as_json)
        finally:
            main.close()

    async def submit_file(request: Request, file: UploadFile, csrf: str, as_json: bool) -> Response:
        data = await file.read(MAX_UPLOAD_BYTES + 1)
        return await _in_thread(upload_sync, request, file.filename or "upload.csv", data, csrf, as_json)

    def upload_sync(request: Request, name: str, data: bytes, csrf: str, as_json: bool) -> Response:
        main = _Main(state.store)
        try:
            who = _guard_post(state, main, request, "submit_report", csrf)
            if not isinstance(who, Caller):
                return who
            if len(data) > MAX_UPLOAD_BYTES:
                return _error(state, request, 413, f"the file is larger than {MAX_UPLOAD_BYTES:,} bytes: split it", who)
            with state.write_lock, _fair_threads():
                result = submit_reports(main, who.actor, file_name=name, data=data).as_dict()
                state.pool.changed()
            audit(main.con, who.actor, "submit", f"upload {name[:200]}", counts=result["counts"])
            return _submitted(request, who, result, as_json)
        finally:
            main.close()

    def judge(request: Request, brand_a: str, brand_b: str, verdict: str, note: str, csrf: str, as_json: bool) -> Response:
        from vigil.attribute.judgements import record_judgement

        main = _Main(state.store)
        try:
            who = _guard_post(state, main, request, "judge", csrf)
            if not isinstance(who, Caller):
                return who
            with state.pool.scoped(who.actor) as view:  # a judgement only on brands the analyst may see
                seen = {r[0] for r in view.con.execute("SELECT brand_id FROM brands WHERE brand_id IN (?, ?)", [brand_a, brand_b]).fetchall()}
            if seen != {brand_a, brand_b} or brand_a == brand_b:
                return _error(state, request, 404, "two different brands that you may see, please", who)
            try:
                with state.write_lock:
                    judgement_id = record_judgement(main, brand_a, brand_b, verdict=verdict, analyst=who.actor.label, note=note[:2000] or None)
            except VigilError as exc:
                return _error(state, request, 400, str(exc), who)
            audit(main.con, who.actor, "judge", f"{brand_a} {brand_b}", verdict=verdict, judgement=judgement_id)
            job = _start_attribution(state, who.actor, judgement_id)
            result = {"judgement_id": judgement_id, "job": job.as_dict(), "brand_a": brand_a, "brand_b": brand_b, "verdict": verdict}
            if as_json:
                return JSONResponse(jsonable_encoder(result), status_code=202)
            return _render(state, request, "judged.html", result, who=who, status=202)
        finally:
            main.close()

    def set_marking(request: Request, source: str, tlp: str, org: str, csrf: str, as_json: bool) -> Response:
        from vigil.access.markings import mark_source

        main = _Main(state.store)
        try:
            who = _guard_post(state, main, request, "set_marking", csrf)
            if not isinstance(who, Caller):
                return who
            try:
                with state.write_lock:
                    marking = mark_source(main.con, source[:128], tlp=tlp, org_id=org, by=who.actor.label)
            except VigilError as exc:
                return _error(state, request, 400, str(exc), who)
            audit(main.con, who.actor, "marking.source", source[:128], tlp=marking.tlp, org=marking.org_id)
            if as_json:
                return JSONResponse({"source": source[:128], "tlp": marking.tlp, "org_id": marking.org_id})
            return RedirectResponse("/markings", status_code=303)
        finally:
            main.close()

    for prefix, as_json in (("", False), ("/api/v1", True)):
        _register_forms(app, prefix, as_json, submit_one, submit_file, judge, set_marking)

    @app.post("/reports", include_in_schema=False)
    def generate_report_page(request: Request, period: str = Form(...), csrf: str = Form("")) -> Response:
        return generate_report(request, period, csrf, False)

    @app.post("/api/v1/reports", tags=["reports"], summary="Generate the assessment for a period (HTML, Markdown) as a job.")
    def generate_report_api(request: Request, period: str = Form(...), csrf: str = Form("")) -> Response:
        return generate_report(request, period, csrf, True)

    def generate_report(request: Request, period: str, csrf: str, as_json: bool) -> Response:
        from vigil.periods import Period

        main = _Main(state.store)
        try:
            who = _guard_post(state, main, request, "export", csrf)
            if not isinstance(who, Caller):
                return who
            try:
                chosen = Period.parse(period[:64])
            except VigilError as exc:
                return _error(state, request, 400, str(exc), who)
            job = _start_report(state, who.actor, chosen)
            audit(main.con, who.actor, "report.generate", str(chosen), job=job.job_id)
            if as_json:
                return JSONResponse(jsonable_encoder(job.as_dict()), status_code=202)
            return RedirectResponse("/reports", status_code=303)
        finally:
            main.close()

    @app.get("/reports/download", include_in_schema=False)
    def download_report_page(request: Request, name: str = "") -> Response:
        return download_report(request, name)

    @app.get("/api/v1/reports/download", tags=["reports"], summary="Download a file of your report library (as an attachment).")
    def download_report_api(request: Request, name: str = "") -> Response:
        return download_report(request, name)

    def download_report(request: Request, name: str) -> Response:
        from fastapi.responses import FileResponse

        from vigil.web.reports import library_file

        main = _Main(state.store)
        try:
            who = caller(main.con, request)
            if who is None:
                return _unauthenticated(state, request)
            if not permission_allowed(who.actor, "export"):
                return _error(state, request, 403, "your role does not allow this", who)
            path = library_file(main, who.actor, name)
            if path is None:
                return _error(state, request, 404, "no such report in your library", who)
            audit(main.con, who.actor, "read", f"report {name[:200]}")
            return FileResponse(path, media_type="application/octet-stream", filename=path.name)
        finally:
            main.close()

    @app.get("/api/v1/jobs/{job_id}", tags=["jobs"], summary="A background job's state (attribution after a judgement).")
    def job_state(request: Request, job_id: str) -> Response:
        main = _Main(state.store)
        try:
            who = caller(main.con, request)
            if who is None:
                return _unauthenticated(state, request)
            job = state.jobs.get(job_id)
            if job is None or not permission_allowed(who.actor, "judge" if job.kind == "attribute" else "export"):
                return _error(state, request, 404, "no such job", who)
            return JSONResponse(jsonable_encoder(job.as_dict()))
        finally:
            main.close()

    return app


async def _in_thread(fn: Callable[..., Response], *args: Any) -> Response:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)


def _register_forms(app: FastAPI, prefix: str, as_json: bool, submit_one: Callable[..., Response],
                    submit_file: Callable[..., Any], judge: Callable[..., Response], set_marking: Callable[..., Response]) -> None:  # fmt: skip
    schema = {"include_in_schema": as_json, "tags": ["submit"] if as_json else None}

    @app.post(prefix + "/submit", summary="Submit one reported URL (stored under your organisation's source).", **schema)  # type: ignore[arg-type]
    def submit(request: Request, url: str = Form(...), reported_at: str = Form(""), commercial: str = Form(""),
               notes: str = Form(""), csrf: str = Form("")) -> Response:  # fmt: skip
        return submit_one(request, url, reported_at, commercial, notes, csrf, as_json)

    @app.post(prefix + "/submit/upload", summary="Submit a CSV / JSON Lines file of reports; per-row outcome.", **schema)  # type: ignore[arg-type]
    async def upload(request: Request, file: UploadFile = File(...), csrf: str = Form("")) -> Response:
        return await submit_file(request, file, csrf, as_json)  # type: ignore[no-any-return]

    @app.post(prefix + "/judge", summary="Judge two brands the same operator or not; attribution re-runs as a job.",
              tags=["judge"] if as_json else None, include_in_schema=as_json)  # fmt: skip
    def judge_route(request: Request, brand_a: str = Form(...), brand_b: str = Form(...), verdict: str = Form(...),
                    note: str = Form(""), csrf: str = Form("")) -> Response:  # fmt: skip
        return judge(request, brand_a, brand_b, verdict, note, csrf, as_json)

    @app.post(prefix + "/markings", summary="Mark a source: TLP and owning organisation (admins).",
              tags=["markings"] if as_json else None, include_in_schema=as_json)  # fmt: skip
    def markings_route(request: Request, source: str = Form(...), tlp: str = Form(...), org: str = Form(...),
                       csrf: str = Form("")) -> Response:  # fmt: skip
        return set_marking(request, source, tlp, org, csrf, as_json)


def _start_report(state: WebState, actor: Actor, period: Any) -> Job:
    from vigil.web.reports import generate

    job = Job(uuid.uuid4().hex[:12], "report", detail={"period": str(period)})

    def run() -> None:
        try:
            job.detail["files"] = generate(state.store, actor, period, stamp=utcnow().strftime("%Y%m%dT%H%M%S"),
                                           processors=state.processors)  # fmt: skip
            job.state = "done"
        except Exception as exc:  # the job reports its failure; the server goes on
            job.state, job.detail["error"] = "failed", str(exc)[:500]

    job.thread = threading.Thread(target=run, name=f"vigil-job-{job.job_id}", daemon=True)
    state.jobs[job.job_id] = job
    job.thread.start()
    return job


def _start_attribution(state: WebState, actor: Actor, judgement_id: str) -> Job:
    from vigil.attribute.run import attribute_store

    job = Job(uuid.uuid4().hex[:12], "attribute", detail={"judgement_id": judgement_id})

    def run() -> None:
        writer = _Main(state.store)
        try:
            with state.write_lock:
                summary = attribute_store(writer, processors=state.processor_files)
            state.pool.rebuilt()
            job.detail.update(brands=summary.brands, distributors=summary.distributors)
            job.state = "done"
            audit(writer.con, actor, "attribute", f"after judgement {judgement_id}", distributors=summary.distributors)
        except Exception as exc:  # the job reports its failure; the server goes on
            job.state, job.detail["error"] = "failed", str(exc)[:500]
        finally:
            writer.close()

    job.thread = threading.Thread(target=run, name=f"vigil-job-{job.job_id}", daemon=True)
    state.jobs[job.job_id] = job
    job.thread.start()
    return job
