import pytest

import durations
import utils
from scheduler import Job, batches, due


def test_moved():
    assert durations.parse_duration("1h30m") == 5400
    assert durations.parse_duration("45s") == 45
    with pytest.raises(ValueError):
        durations.parse_duration("soon")
    assert not hasattr(utils, "parse_duration")


def test_scheduler_uses_it():
    jobs = [Job("backup", "1h", 0), Job("mail", "5m", 100), Job("sync", "30s", 0)]
    assert jobs[0].next_run() == 3600
    assert due(jobs, 400) == ["mail", "sync"]
    assert batches(jobs) == [["backup", "mail"], ["sync"]]


def test_utils_still_work():
    assert utils.format_bytes(512) == "512 B"
    assert utils.format_bytes(2048) == "2.0 KB"
    assert list(utils.chunked([1, 2, 3], 2)) == [[1, 2], [3]]
