"""The WebUI's FastAPI app, for tests that go through HTTP (needs fastapi; httpx for TestClient)."""

import fastapi
from fastapi.responses import JSONResponse

from .api import HTTPError, txt2img


def fastapi_app(webui):
    """The app with the API's txt2img route (api.py:436-492), after startup ran the extensions'
    app_started callbacks with it (webui.py:104-119; api_only, :26-38, passes no demo)."""
    app = fastapi.FastAPI()

    @app.post("/sdapi/v1/txt2img")
    async def text2imgapi(request: fastapi.Request):
        try:
            result = txt2img(webui, await request.json())
        except HTTPError as error:
            return JSONResponse({"detail": error.detail}, status_code=error.status)
        return {"info": result["info"], "infotexts": result["infotexts"]}

    webui.callbacks.fire("app_started", None, app)
    return app
