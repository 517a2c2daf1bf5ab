"""ETag and Last-Modified of documents fetched before, for conditional requests; a JSON file until storage has them."""

from __future__ import annotations

import json
import os
from pathlib import Path

Validators = dict[str, str]  # {"etag": "...", "last_modified": "..."}, either may be missing


def load_validators(source: str) -> dict[str, Validators]:
    """URL → validators of every document stored before. To be backed by storage.fetches."""
    path = Path(source)
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def save_validators(source: str, validators: dict[str, Validators]) -> None:
    """Write the validators back. With storage, the store pipeline records fetches in its own transaction instead."""
    path = Path(source)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(validators, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)
