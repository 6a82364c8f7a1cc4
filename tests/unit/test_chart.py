"""The digest chart is a real PNG, also when there is nothing to show, and uploads as one."""

from __future__ import annotations

import struct

from slack_sdk import WebClient

from bot.chart import WeekCounts, nice_axis, render_weekly_chart
from bot.local.slack import LocalSlack

PNG = b"\x89PNG\r\n\x1a\n"


def size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG) and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def weeks(*rows: tuple[int, int, int, int]) -> list[WeekCounts]:
    return [WeekCounts(f"W{40 + n}", *row) for n, row in enumerate(rows)]


def test_eight_weeks_render_as_a_png_of_the_documented_size() -> None:
    png = render_weekly_chart(weeks(*[(100 + n, 40, 50, n) for n in range(10)]))
    assert size(png) == (900, 450)
    assert png == render_weekly_chart(weeks(*[(100 + n, 40, 50, n) for n in range(10)]))  # deterministic


def test_all_zeros_and_no_weeks_still_render() -> None:
    assert size(render_weekly_chart(weeks((0, 0, 0, 0), (0, 0, 0, 0)))) == (900, 450)
    assert size(render_weekly_chart([])) == (900, 450)


def test_axis_steps_are_round_numbers() -> None:
    assert nice_axis([0]) == (5, 1)
    assert nice_axis([172, 83]) == (200, 50)
    assert nice_axis([1234]) == (1500, 500)


def test_the_chart_uploads_through_files_upload_v2(slack: LocalSlack) -> None:
    png = render_weekly_chart(weeks((3, 1, 1, 1)))
    client = WebClient(token="xoxb-test", base_url=slack.api_url)
    client.files_upload_v2(channel="C0DIGEST", content=png, filename="learnbot-weeks.png", title="8 weeks",
                           initial_comment="The last 8 weeks")
    [upload] = slack.uploads.values()
    assert (upload.content, upload.channel, upload.filename, upload.title, upload.initial_comment) == (
        png, "C0DIGEST", "learnbot-weeks.png", "8 weeks", "The last 8 weeks")


def test_a_small_count_beside_a_big_one_still_renders() -> None:
    assert size(render_weekly_chart(weeks((2500, 1000, 120, 1)))) == (900, 450)
