"""Scrapy settings of the nianbao crawl; the NIANBAO_ settings at the bottom are all the project adds."""

import os

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
CONCURRENT_REQUESTS_PER_DOMAIN = 2
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
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024
DOWNLOAD_WARNSIZE = 20 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.ConditionalRequestsMiddleware": 570,
    # Responses pass from high numbers to low: decompression (590) first, then encoding, then challenge detection.
    "crawler.middlewares.BlockedPageMiddleware": 580,
    "crawler.middlewares.EncodingFixMiddleware": 585,
}

# `scrapy crawl reports -O items.jsonl` writes document bytes as base64.
FEED_EXPORTERS = {
    "json": "crawler.exporters.JsonExporter",
    "jsonl": "crawler.exporters.JsonLinesExporter",
    "jsonlines": "crawler.exporters.JsonLinesExporter",
    "jl": "crawler.exporters.JsonLinesExporter",
}
FEED_EXPORT_ENCODING = "utf-8"

EXTENSIONS = {"crawler.progress.Progress": 500}
# NIANBAO_PROGRESS: a live progress line on a terminal (set by `nianbao crawl`; logs stay as they are elsewhere).
NIANBAO_PROGRESS = False

# Read the page, parse the report, store it; the last one records the run and each site's outcome.
ITEM_PIPELINES = {
    "pipelines.documents.ReadDocumentPipeline": 100,
    "pipelines.parse.ParsePipeline": 300,
    "pipelines.store.StorePipeline": 500,
    "pipelines.runs.CrawlRunPipeline": 800,
}
LOG_LEVEL = os.environ.get("NIANBAO_LOG_LEVEL", "INFO")

# NIANBAO_DATABASE_URL: where the registry is read and reports are stored (empty: the SQLite file of storage.db).
NIANBAO_DATABASE_URL = os.environ.get("NIANBAO_DATABASE_URL", "")
# NIANBAO_TRIGGER: recorded with the crawl run, "manual" or "scheduled".
NIANBAO_TRIGGER = "manual"
# NIANBAO_MAX_LISTING_PAGES: listing pages read per registered listing (a column of 20 pages is 300+ items).
NIANBAO_MAX_LISTING_PAGES = int(os.environ.get("NIANBAO_MAX_LISTING_PAGES", "20"))
# NIANBAO_RETRY_BACKOFF / _MAX: seconds before the first retry, doubled each time, capped.
NIANBAO_RETRY_BACKOFF = float(os.environ.get("NIANBAO_RETRY_BACKOFF", "5"))
NIANBAO_RETRY_BACKOFF_MAX = float(os.environ.get("NIANBAO_RETRY_BACKOFF_MAX", "120"))
