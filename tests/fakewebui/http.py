"""The WebUI's FastAPI app, for tests that go through HTTP (needs fastapi; httpx for TestClient).

Modelled on A1111 82a973c0 (Forge dfdcbab6 the same here): webui.py:webui builds the app, then
initialize_util.py:setup_middleware adds GZip and CORS (from --cors-allow-origins), then api/api.py:Api
adds its routes, each behind `Depends(Api.auth)` when --api-auth is set (Api.add_api_route), with
api_middleware's exception handlers, and only then are the extensions' app_started callbacks run.
"""

from secrets import compare_digest

import fastapi
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware

from .api import HTTPError, txt2img


def fastapi_app(webui, *, api=True):
    """The app after startup; `api=False` is a WebUI started without --api (no /sdapi routes)."""
    app = fastapi.FastAPI()
    cmd_opts = webui.opts.cmd_opts
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    cors = {"allow_methods": ["*"], "allow_headers": ["*"], "allow_credentials": True}
    if cmd_opts.cors_allow_origins:
        cors["allow_origins"] = cmd_opts.cors_allow_origins.split(",")
    app.add_middleware(CORSMiddleware, **cors)
    if api:
        _add_api(app, webui)
    webui.callbacks.fire("app_started", None, app)
    return app


def _add_api(app, webui):
    credentials = dict(entry.split(":") for entry in (webui.opts.cmd_opts.api_auth or "").split(",") if entry)

    def auth(given: HTTPBasicCredentials = fastapi.Depends(HTTPBasic())):  # noqa: B008 - FastAPI's idiom
        if given.username in credentials and compare_digest(given.password, credentials[given.username]):
            return True
        raise fastapi.HTTPException(401, "Incorrect username or password", headers={"WWW-Authenticate": "Basic"})

    def add_api_route(path, endpoint, **kwargs):
        if credentials:
            kwargs["dependencies"] = [fastapi.Depends(auth)]
        app.add_api_route(path, endpoint, **kwargs)

    @app.exception_handler(fastapi.HTTPException)
    async def http_exception_handler(_request, error):
        """api_middleware's handle_exception: the status is kept, the headers are not."""
        content = {"error": type(error).__name__, "detail": error.detail, "body": "", "errors": str(error)}
        return JSONResponse(content, status_code=error.status_code)

    async def text2imgapi(request: fastapi.Request):
        try:
            result = txt2img(webui, await request.json())
        except HTTPError as error:
            return JSONResponse({"detail": error.detail}, status_code=error.status)
        return {"info": result["info"], "infotexts": result["infotexts"]}

    async def set_config(request: fastapi.Request):
        """Api.set_config: opts.set for each key, then opts.save(config_filename)."""
        webui.save_settings(**await request.json())
        return True

    def get_config():
        return {key: getattr(webui.opts, key) for key in webui.opts.data_labels}

    add_api_route("/sdapi/v1/txt2img", text2imgapi, methods=["POST"])
    add_api_route("/sdapi/v1/options", get_config, methods=["GET"])
    add_api_route("/sdapi/v1/options", set_config, methods=["POST"])
