"""The endpoint the survey system pushes results to: `POST /api/surveys` with a JSON list or a CSV body.

Each client system has its own bearer token; only the token's SHA-256 is stored. Tokens are 256 random bits,
so a plain hash is as safe as a slow one and lets the lookup go by the hash itself.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from ingest.surveys import SOURCES
from storage.db import Database
from storage.surveys import StoredBatch, add_client, client_for_token

MAX_BODY_BYTES = 5 * 1024 * 1024  # some 20,000 results with comments: a day of a large centre in one push
CONTENT_TYPES = {"application/json": "json", "text/csv": "csv"}
# (database, body, format, source, origin) -> what was stored: validates, masks personal data and stores a body
Intake = Callable[[Database, bytes, str, str, str], StoredBatch]


def issue_token(db: Database, name: str) -> str:
    """Register a client and return its token: the only time the token is seen."""
    name = name.strip()
    if not name:
        raise ValueError("a survey client needs a name")
    token = secrets.token_urlsafe(32)
    add_client(db, name, _digest(token))
    return token


def authenticate(db: Database, authorization: str | None) -> str:
    """The client's name for a valid `Authorization: Bearer <token>` header; 401 otherwise."""
    scheme, _, token = (authorization or "").partition(" ")
    client = client_for_token(db, _digest(token.strip())) if scheme.lower() == "bearer" and token.strip() else None
    if client is None:
        raise HTTPException(401, "a valid survey client token is required", headers={"WWW-Authenticate": "Bearer"})
    return client


def survey_router(db: Database, intake: Intake, max_body_bytes: int = MAX_BODY_BYTES) -> APIRouter:
    """`intake` masks and stores one body (pipelines.survey_import.import_payload)."""
    router = APIRouter()

    @router.post("/api/surveys")
    async def post_surveys(request: Request, source: str = "post_call") -> dict:
        client = authenticate(db, request.headers.get("authorization"))
        if source not in SOURCES:
            raise HTTPException(422, f"source must be one of {', '.join(SOURCES)}")
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in CONTENT_TYPES:
            raise HTTPException(415, f"send {' or '.join(CONTENT_TYPES)}")
        body = await _read_body(request, max_body_bytes)
        stored = await run_in_threadpool(intake, db, body, CONTENT_TYPES[media_type], source,
                                         f"http:{client}")
        if stored.unreadable:
            raise HTTPException(400, {"batch_id": stored.batch_id, "reason": stored.rejects[0].reason})
        return {
            "batch_id": stored.batch_id,
            "accepted": stored.accepted,
            "duplicates": stored.duplicates,
            "rejected": stored.rejected,
            "rejects": [{"row": r.row_no, "reason": r.reason} for r in stored.rejects],
        }

    return router


def create_survey_app(db_path: Path | str, intake: Intake) -> FastAPI:
    """The endpoint on its own, for a survey intake that runs apart from the dashboard. The database opens
    here, so a bad path fails before the server listens, and closes when the server stops."""
    db = Database(db_path)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            db.close()

    app = FastAPI(title="hotline-qc survey intake", lifespan=lifespan)
    app.include_router(survey_router(db, intake))
    return app


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body is larger than {limit} bytes: send fewer results at a time")
    chunks, size = [], 0
    # a chunked body declares no length: count as it arrives and stop at the limit
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"body is larger than {limit} bytes: send fewer results at a time")
        chunks.append(chunk)
    return b"".join(chunks)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
