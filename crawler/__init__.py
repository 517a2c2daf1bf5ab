"""The crawl: one Scrapy spider that reads every registered listing page and yields the reports it finds."""
