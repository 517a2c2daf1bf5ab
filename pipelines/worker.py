"""One worker thread for the CPU-heavy document work, so the reactor thread keeps downloading meanwhile.

One thread, not a pool: the C libraries underneath (lxml, OpenCC, pdfminer's helpers) are not all safe to call from
several threads at once, and the GIL would gain a pool nothing anyway. A crawl once died of heap corruption
("malloc(): unsorted double linked list corrupted") with asyncio.to_thread's default pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nianbao-documents")


async def in_worker(function: Callable[..., T], *args) -> T:
    return await asyncio.get_running_loop().run_in_executor(_WORKER, function, *args)
