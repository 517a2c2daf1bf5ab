"""`nianbao reparse`: the stored originals read again by the current parser, without a download. The same function
runs here, in the reader pool, and on the queue's workers (nianbao.queue.tasks.reparse_batch), a batch at a time."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence

from sqlalchemy.orm import Session

from nianbao.isolated import DocumentPool, read_each
from storage.documents import get_document
from storage.models import ReportVersion
from storage.reparse import store_reparse

logger = logging.getLogger(__name__)
BATCH = 100  # versions per queued task, and per round of the local pool


def reparse_versions(url: str, version_ids: Sequence[int]) -> Counter[str]:
    """Re-parse the versions; how many came out the same, revised, kept, gone (no longer current) or unreadable."""
    return asyncio.run(read_each(url, version_ids, _one, BATCH))


async def _one(engine, pool: DocumentPool, version_id: int) -> str:
    with Session(engine) as session:
        version = session.get(ReportVersion, version_id)
        document = get_document(session, version.document_sha256) if version else None
        source, data = (version.source_url, document.data) if document else (None, None)
    if data is None:
        return "gone"
    outcome = await pool.parse(data, name=source, url=source, source=source)
    if outcome.parsed is None:  # the stored parse stays; a later reparse tries again
        logger.warning("version %d (%s): unreadable to this parser: %s", version_id, source, outcome.error)
        return "unreadable"
    with Session(engine) as session, session.begin():
        return store_reparse(session, version_id, outcome.parsed, outcome.text_sketch)


def line(counts: Counter[str]) -> str:
    total = sum(counts.values())
    parts = ", ".join(f"{counts.get(key, 0)} {key}" for key in ("same", "revised", "kept", "unreadable", "gone"))
    return f"re-parsed {total} stored version(s): {parts}"
