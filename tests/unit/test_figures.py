"""Charts as files: the provenance goes on the chart, and kaleido really draws PNG and SVG in the
system's Chromium (skipped where there is none, unless OBSERVATION_REQUIRE_BROWSER=1, as in CI)."""

from __future__ import annotations

import os

import plotly.graph_objects as go
import pytest

from observation import figures

PROVENANCE = figures.Provenance(
    "Meetings 2 Jul 2019 – 27 Feb 2020", rules="Anhøj rules", synthetic=True, presenter="counts under 5 hidden"
)


def a_chart() -> go.Figure:
    return go.Figure(go.Scatter(x=[1, 2, 3], y=[0.2, 0.5, 0.4]), layout={"title": {"text": "Presence by quarter"}})


def test_an_exported_chart_says_where_it_came_from_and_the_page_keeps_its_own() -> None:
    fig = a_chart()
    out = figures.for_export(fig, PROVENANCE)
    assert out.layout.title.text == (
        "Presence by quarter<br><sup>Meetings 2 Jul 2019 – 27 Feb 2020 · Anhøj rules · counts under 5 hidden · "
        "Synthetic demo data</sup>"
    )
    assert (out.layout.width, out.layout.height) == (1280, 720)
    assert fig.layout.title.text == "Presence by quarter"  # the page's chart is untouched
    assert figures.Provenance("Meetings 2020").line() == "Meetings 2020"


@pytest.fixture
def chromium() -> None:
    if figures.chromium() is None:
        if os.environ.get("OBSERVATION_REQUIRE_BROWSER") == "1":
            pytest.fail("no Chromium for kaleido")
        pytest.skip("no Chromium for kaleido")


@pytest.mark.usefixtures("chromium")
def test_kaleido_draws_png_and_svg_in_the_system_chromium() -> None:
    out = figures.for_export(a_chart(), PROVENANCE)
    png = figures.image(out, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(png[16:20], "big")
    assert width == 2 * 1280  # drawn at twice the size, for a sharp slide
    svg = figures.image(out, "svg").decode()
    assert svg.startswith("<svg")
    assert "Synthetic demo data" in svg
    assert "Presence by quarter" in svg


def test_a_chart_for_a_room_has_larger_text_and_the_page_keeps_its_own() -> None:
    fig = a_chart()
    assert figures.for_a_room(fig).layout.font.size == figures.ROOM_FONT
    assert fig.layout.font.size is None
