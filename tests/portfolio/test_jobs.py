"""The scheduled jobs: a real RQ worker on a real Redis computes the day's portfolio rows, the
chart's points and the kept answers."""

from datetime import date, timedelta

from redis import Redis
from rq import Queue, SimpleWorker

from tests.factories import profile
from tests.services import redis_url_for_this_worker
from tracker import register
from tracker.db import utcnow
from tracker.models import AISystem, ChartPoint, KeptAnswer, PortfolioDate, PortfolioRow
from tracker.portfolio import chart_points, jobs
from tracker.reminders import jobs as worker_jobs


def test_the_worker_computes_the_days_rows_and_then_has_nothing_to_do(
    settings, migrated, services, monkeypatch
):
    for number in range(3):
        register.create_system(profile(name=f"System {number}"), "test")
    # Registered long ago: each of the chart's months before this one gets a kept point.
    AISystem.update(created_at=utcnow() - timedelta(days=400)).where(AISystem.id == 1).execute()
    redis_url = redis_url_for_this_worker(services.redis_url)
    for name, value in {
        "TRACKER_ENV": "testing",
        "TRACKER_DATABASE_URL": settings.database_url,
        "TRACKER_DATA_DIR": str(settings.data_dir),
        "TRACKER_AGENCY_COUNTRIES": ",".join(settings.agency_countries),
        "TRACKER_REDIS_URL": redis_url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(worker_jobs, "_context", None)
    connection = Redis.from_url(redis_url)
    connection.flushdb()
    queue = Queue(worker_jobs.QUEUE_NAME, connection=connection)
    first = queue.enqueue(jobs.refresh_job)
    again = queue.enqueue(jobs.refresh_job)
    points = queue.enqueue(jobs.chart_points_job)
    points_again = queue.enqueue(jobs.chart_points_job)
    answers = queue.enqueue(jobs.answers_job)
    answers_again = queue.enqueue(jobs.answers_job)
    SimpleWorker([queue], connection=connection).work(burst=True)
    today = date.today()
    assert first.return_value()["systems"] == 3 and again.return_value()["systems"] == 0
    kept = len(chart_points.days_kept(date.today()))
    assert points.return_value()["chart_points"] == kept == ChartPoint.select().count()
    assert points_again.return_value()["chart_points"] == 0
    assert PortfolioRow.select().where(PortfolioRow.as_of == today).count() == 3
    assert PortfolioDate.get_by_id(today).stamp > 0
    assert answers.return_value()["answers"] == 3 == KeptAnswer.select().count()
    assert answers_again.return_value()["answers"] == 0
    connection.flushdb()
