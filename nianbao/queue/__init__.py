"""The night's work spread over machines on Procrastinate, the PostgreSQL task queue the machines already share:
one crawl task per host (a lock per host, a queueing lock per night), run by `nianbao worker` on any machine, each
crawl in a fresh process with a time limit; jobs of a worker that died are retried by the live ones."""
