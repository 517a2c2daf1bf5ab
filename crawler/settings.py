"""Scrapy settings of the nianbao crawl; the NIANBAO_ settings at the bottom are all the project adds."""

import os

from storage.registry import private_addresses_allowed

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
ADDONS = {}

# A truthful name; set NIANBAO_CONTACT to a mailbox or page so site operators can reach whoever runs the crawl.
USER_AGENT = "nianbao/0.1 (government information-disclosure annual report harvester"
USER_AGENT += f"; +{os.environ['NIANBAO_CONTACT']})" if os.environ.get("NIANBAO_CONTACT") else ")"

# Politeness: county servers are small and many share one provincial cluster.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
# NIANBAO_HOST_CONCURRENCY: requests in flight to one host (one worker crawls a host at a time: the queue's lock).
CONCURRENT_REQUESTS_PER_DOMAIN = int(os.environ.get("NIANBAO_HOST_CONCURRENCY", "1"))
# Responses waiting for the reader pool (the crawl's bottleneck: parsing) each hold a body and a parsed tree; past a
# megabyte of them the downloader waits. Scrapy's 5 MB let ~250 report pages pile up: 250 against 206 MiB peak at 506
# agencies, at the same reports per second.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000
# NIANBAO_DOWNLOAD_DELAY / NIANBAO_AUTOTHROTTLE: seconds between requests to one site, and adaptive slowing down.
DOWNLOAD_DELAY = float(os.environ.get("NIANBAO_DOWNLOAD_DELAY", "2"))
AUTOTHROTTLE_ENABLED = os.environ.get("NIANBAO_AUTOTHROTTLE", "1") not in ("0", "false", "False", "off")
AUTOTHROTTLE_START_DELAY = 2
AUTOTHROTTLE_MAX_DELAY = 60
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
HTTPCACHE_ENABLED = False  # conditional requests against stored fetches do this job

# Robustness: slow sites, flaky sites, and files that are not reports (nianbao.document refuses > 50 MiB too).
DOWNLOAD_TIMEOUT = float(os.environ.get("NIANBAO_DOWNLOAD_TIMEOUT", "60"))  # seconds for a whole response
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024
DOWNLOAD_WARNSIZE = 20 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

# Keeps CONCURRENT_REQUESTS_PER_DOMAIN exactly and a robots.txt Crawl-delay as the floor of each host's delay.
DOWNLOADER = "crawler.politeness.PoliteDownloader"
DOWNLOADER_MIDDLEWARES = {
    "crawler.politeness.CrawlDelayMiddleware": 90,
    # After the offsite filter (50), before robots.txt (100); redirects come back through it as new requests.
    "crawler.addresses.PrivateAddressMiddleware": 60,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.OffsiteRedirectMiddleware": 610,  # sees a redirect before Scrapy's (600) follows it
    "crawler.middlewares.OffsiteMetaRefreshMiddleware": 582,  # a decoded page, before Scrapy's meta refresh (580)
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.ConditionalRequestsMiddleware": 570,
    # Sees a listing page after truncation, challenge and encoding checks: only a whole, good page is kept.
    "crawler.middlewares.StoredListingMiddleware": 565,
    "crawler.middlewares.TruncatedBodyMiddleware": 575,
    # Responses pass from high numbers to low: decompression (590) first, then encoding, then challenge detection.
    "crawler.middlewares.BlockedPageMiddleware": 580,
    "crawler.middlewares.EncodingFixMiddleware": 585,
    # Next to the downloader: requests as sent, responses as received (crawler.archive).
    "crawler.archive.EvidenceArchiveMiddleware": 950,
}

# `scrapy crawl reports -O items.jsonl` writes document bytes as base64.
FEED_EXPORTERS = {
    "json": "crawler.exporters.JsonExporter",
    "jsonl": "crawler.exporters.JsonLinesExporter",
    "jsonlines": "crawler.exporters.JsonLinesExporter",
    "jl": "crawler.exporters.JsonLinesExporter",
}
FEED_EXPORT_ENCODING = "utf-8"

# CallbackFailure closest to the spider, so that it is the first to see an exception a callback raises;
# ReleaseParsedPage outermost, so that the page lets go of its parsed tree after everything else is done with it.
SPIDER_MIDDLEWARES = {
    "crawler.middlewares.CallbackFailureMiddleware": 950,
    "crawler.middlewares.ReleaseParsedPageMiddleware": 10,
}

# The run and its site locks (taken, renewed by a heartbeat, released), whoever starts the crawl.
EXTENSIONS = {"crawler.run.RunKeeper": 100, "crawler.progress.Progress": 500}
# NIANBAO_PROGRESS: a live progress line on a terminal (set by `nianbao crawl`; logs stay as they are elsewhere).
NIANBAO_PROGRESS = False

# Read and parse the report (in capped worker processes), store it; the last one records each site's outcome.
ITEM_PIPELINES = {
    "pipelines.documents.DocumentPipeline": 100,
    "pipelines.store.StorePipeline": 500,
    "pipelines.withdrawals.WithdrawalPipeline": 700,
    "pipelines.runs.CrawlRunPipeline": 800,
}
LOG_LEVEL = os.environ.get("NIANBAO_LOG_LEVEL", "INFO")

# NIANBAO_DATABASE_URL: where the registry is read and reports are stored (empty: the SQLite file of storage.db).
NIANBAO_DATABASE_URL = os.environ.get("NIANBAO_DATABASE_URL", "")
# NIANBAO_ALLOW_PRIVATE_ADDRESSES: "1" lets the crawl fetch loopback and private addresses (tests, the demo).
NIANBAO_ALLOW_PRIVATE_ADDRESSES = private_addresses_allowed()
# NIANBAO_TRIGGER: recorded with the crawl run, "manual" or "scheduled".
NIANBAO_TRIGGER = "manual"
# NIANBAO_MAX_LISTING_PAGES: listing pages read per registered listing (a column of 20 pages is 300+ items).
NIANBAO_MAX_LISTING_PAGES = int(os.environ.get("NIANBAO_MAX_LISTING_PAGES", "20"))
# NIANBAO_RETRY_BACKOFF / _MAX: seconds before the first retry, doubled each time, capped.
NIANBAO_RETRY_BACKOFF = float(os.environ.get("NIANBAO_RETRY_BACKOFF", "5"))
NIANBAO_RETRY_BACKOFF_MAX = float(os.environ.get("NIANBAO_RETRY_BACKOFF_MAX", "120"))
# NIANBAO_MAX_ATTACHMENTS / _MB: attachments one report page may make us download, by count and in all.
NIANBAO_MAX_ATTACHMENTS = int(os.environ.get("NIANBAO_MAX_ATTACHMENTS", "10"))
NIANBAO_MAX_ATTACHMENT_MB = int(os.environ.get("NIANBAO_MAX_ATTACHMENT_MB", "100"))
# NIANBAO_STORAGE_RETRY_SECONDS: how long a database outage is ridden out before the crawl stops (failed, exit 1).
NIANBAO_STORAGE_RETRY_SECONDS = float(os.environ.get("NIANBAO_STORAGE_RETRY_SECONDS", "60"))
# NIANBAO_LOCK_TTL: seconds a site lock outlives its crawl's last heartbeat (a quarter of it between heartbeats).
NIANBAO_LOCK_TTL = int(os.environ.get("NIANBAO_LOCK_TTL", "300"))
# NIANBAO_RECHECK_DAYS: a stored report listed on an unchanged listing page is asked for again once in this many
# nights (crawler.fetchstate.is_due); 0 asks every night.
NIANBAO_RECHECK_DAYS = int(os.environ.get("NIANBAO_RECHECK_DAYS", "7"))
# NIANBAO_ARCHIVE: "0" keeps no evidence archive. NIANBAO_ARCHIVE_DIR: its folder (default: beside the SQLite file,
# storage.archive.archive_dir). NIANBAO_ARCHIVE_MAX_MB: a WARC file is closed for a new one at this size.
NIANBAO_ARCHIVE = os.environ.get("NIANBAO_ARCHIVE", "1") not in ("0", "false", "False", "off")
NIANBAO_ARCHIVE_DIR = os.environ.get("NIANBAO_ARCHIVE_DIR", "")
NIANBAO_ARCHIVE_MAX_MB = int(os.environ.get("NIANBAO_ARCHIVE_MAX_MB", "1024"))
# NIANBAO_PARSE_LATER: store each report's bytes and leave the parsing to the queue's parse tasks (set for the
# crawls of `nianbao worker`; a crawl on one machine reads its reports itself, in the same reader pool).
NIANBAO_PARSE_LATER = False
