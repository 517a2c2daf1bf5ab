"""The crawl's batch writer on real databases: work queued together is committed together, each piece atomic; a data
error loses only its own piece, an outage the whole batch and nothing is half stored."""

from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from crawler.database import is_outage
from crawler.writer import BatchWriter
from storage.fetches import get_fetch, record_fetch


def _writer(engine) -> BatchWriter:
    # Answers fired on the writer thread itself: these tests run no reactor.
    return BatchWriter(lambda: engine, is_outage, deliver=lambda fire, answer: fire(answer))


def _submit(writer: BatchWriter, answers: dict, name: str, work, *args, **kwargs) -> None:
    writer.submit(work, *args, **kwargs).addCallback(lambda answer: answers.__setitem__(name, answer))


def _stored(engine, url: str) -> bool:
    with Session(engine) as session:
        return get_fetch(session, url) is not None


def _held_writer(engine, answers: dict) -> tuple[BatchWriter, threading.Event]:
    """A writer busy with a first piece of work until the event is set, so that what is submitted meanwhile queues."""
    writer, release = _writer(engine), threading.Event()
    started = threading.Event()

    def blocking(session):
        started.set()
        release.wait(10)
        record_fetch(session, "http://a.example/first", status=200)

    _submit(writer, answers, "first", blocking)
    assert started.wait(10)
    return writer, release


def _one_batch_around(engine, name: str, work) -> dict:
    """The answers when `work`, named `name`, is queued between two good writes, all three in one batch."""
    answers: dict = {}
    writer, release = _held_writer(engine, answers)
    _submit(writer, answers, "before", record_fetch, "http://a.example/before", status=200)
    _submit(writer, answers, name, work)
    _submit(writer, answers, "after", record_fetch, "http://a.example/after", status=200)
    release.set()
    writer.close()
    return answers


def test_work_queued_meanwhile_is_committed_in_one_transaction(engine):
    commits = []
    event.listen(engine, "commit", lambda connection: commits.append(1))
    answers: dict = {}
    writer, release = _held_writer(engine, answers)
    for number in range(5):
        _submit(writer, answers, f"page{number}", record_fetch, f"http://a.example/{number}", status=200)
    release.set()
    writer.close()
    assert len(commits) == 2  # the first piece alone, then the five queued behind it
    assert all(answers[name][0] for name in answers) and len(answers) == 6
    assert all(_stored(engine, f"http://a.example/{number}") for number in range(5))


def test_a_data_error_loses_only_its_own_work(engine):
    def half_then_fail(session):
        record_fetch(session, "http://a.example/half", status=200)
        raise ValueError("a cell that is not a number")

    answers = _one_batch_around(engine, "bad", half_then_fail)
    stored, error = answers["bad"]
    assert not stored and isinstance(error, ValueError)
    assert answers["before"][0] and answers["after"][0]
    assert _stored(engine, "http://a.example/before") and _stored(engine, "http://a.example/after")
    assert not _stored(engine, "http://a.example/half")  # its savepoint was rolled back


def test_an_outage_fails_the_whole_batch_and_stores_none_of_it(engine):
    def outage(session):
        raise OperationalError("INSERT …", {}, ConnectionError("server closed the connection"))

    answers = _one_batch_around(engine, "outage", outage)
    assert answers["first"][0]  # its own batch, committed before the outage
    for name in ("before", "outage", "after"):
        stored, error = answers[name]
        assert not stored and is_outage(error)
    assert not _stored(engine, "http://a.example/before") and not _stored(engine, "http://a.example/after")


def test_close_finishes_the_queued_work_and_a_closed_writer_starts_again(engine):
    answers: dict = {}
    writer = _writer(engine)
    for number in range(3):
        _submit(writer, answers, f"page{number}", record_fetch, f"http://a.example/{number}", status=200)
    writer.close()
    assert len(answers) == 3 and all(stored for stored, _ in answers.values())
    _submit(writer, answers, "later", record_fetch, "http://a.example/later", status=200)
    writer.close()
    assert answers["later"][0] and _stored(engine, "http://a.example/later")
