"""Records the sample fixture web for `nianbao demo` from the seeds in tests/data.

Run: .venv/bin/python scripts/record-sample-web.py

Runs the real crawl against tests/fixtureweb's sample through a recorder of every answer, then writes
nianbao/sampleweb/sample-web.zip and registry.csv. Deterministic: re-recording an unchanged sample gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

import reportlab.rl_config  # noqa: E402

from nianbao.sampleweb.replay import FORMAT, RECORDING, REGISTRY, form_fields  # noqa: E402
from tests.fixtureweb import FixtureWeb, build_web, registry_csv, sample_sites  # noqa: E402
from tests.fixtureweb.crawl import run_crawl  # noqa: E402

OUT = REPOSITORY / "nianbao" / "sampleweb"
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "ETag", "Last-Modified")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entries carry no clock time, so the bytes depend only on the content


def main() -> None:
    reportlab.rl_config.invariant = 1  # no creation date or random document id in the PDFs
    sites = sample_sites()
    registry = registry_csv(sites)
    web = build_web(sites).prerender()
    _slow_becomes_down(web)
    exchanges = _record(web, registry)
    files = _archive_files(exchanges)
    (OUT / RECORDING).write_bytes(_zip(files))
    (OUT / REGISTRY).write_text(registry, encoding="utf-8")
    size = (OUT / RECORDING).stat().st_size
    print(f"{len(exchanges)} requests, {len(files) - 1} bodies, {RECORDING} {size / 1024:.0f} KiB, {REGISTRY}")


def _slow_becomes_down(web: FixtureWeb) -> None:
    """A site that times out is replayed as one that answers 500: the same outcome, without the demo waiting."""
    for host in web.hosts.values():
        if host.behaviour == "slow":
            host.behaviour = ""
            for resource in host.resources.values():
                resource.fail_first = 10**9


def _record(web: FixtureWeb, registry: str) -> dict[tuple[str, str, str], list[tuple]]:
    """(method, URL, form) → the answers in the order given, consecutive repeats dropped."""
    exchanges: dict[tuple[str, str, str], list[tuple]] = defaultdict(list)
    answer = web.answer

    def recording(method, url, headers, form):
        status, answer_headers, body = answer(method, url, headers, form)
        assert status != 304, f"{url}: a fresh crawl sent a conditional request"
        kept = {name: answer_headers[name] for name in KEPT_HEADERS if name in answer_headers}
        with web.lock:
            answers = exchanges[(method, url, form_fields(form))]
            if not answers or answers[-1] != (status, kept, body):
                answers.append((status, kept, body))
        return status, answer_headers, body

    web.answer = recording
    with web, tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "registry.csv").write_text(registry, encoding="utf-8")
        run_crawl(web, Path(folder) / "registry.csv", Path(folder) / "items.jsonl")
    return exchanges


def _archive_files(exchanges: dict[tuple[str, str, str], list[tuple]]) -> dict[str, bytes]:
    """index.json (requests in URL order, each with its answers) and the bodies, stored once each by digest."""
    files: dict[str, bytes] = {}
    index = []
    for (method, url, form), answers in sorted(exchanges.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2])):
        recorded = []
        for status, headers, body in answers:
            body, headers = _fixed_zip_body(body, headers)
            name = f"bodies/{hashlib.sha256(body).hexdigest()}"
            files[name] = body
            recorded.append({"status": status, "headers": headers, "body": name})
        index.append({"method": method, "url": url, "form": form, "answers": recorded})
    document = {"format": FORMAT, "source": "tests/fixtureweb sample_sites(), scripts/record-sample-web.py"}
    text = json.dumps({**document, "exchanges": index}, ensure_ascii=False, indent=1, sort_keys=True)
    files["index.json"] = text.encode()
    return files


def _fixed_zip_body(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """python-docx stamps each zip entry with the time of saving; fix it, and the ETag made from the bytes."""
    if not body.startswith(b"PK\x03\x04"):
        return body, headers
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(body)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            fixed.compress_type, fixed.external_attr = info.compress_type, info.external_attr
            target.writestr(fixed, source.read(info))
    body = out.getvalue()
    if "ETag" in headers:
        headers = {**headers, "ETag": '"' + hashlib.sha1(body).hexdigest()[:16] + '"'}
    return body, headers


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type, info.external_attr, info.create_system = zipfile.ZIP_DEFLATED, 0o644 << 16, 3
            archive.writestr(info, files[name], compresslevel=9)
    return out.getvalue()


if __name__ == "__main__":
    main()
