"""The shared filter survives a trip through the URL, and bad parameters fall back with a notice."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from observation.filters import ParsedFilter, StudyFilter, from_query_params, to_query_params


def test_a_full_link_is_read_back() -> None:
    parsed = from_query_params({"team": "1,3", "setting": "inpatient", "from": "2019-09-01", "to": "2020-01-31"})
    assert parsed.notices == ()
    assert parsed.filter == StudyFilter(
        teams=(1, 3), setting="inpatient", start=dt.date(2019, 9, 1), end=dt.date(2020, 1, 31)
    )


def test_no_parameters_mean_no_restriction() -> None:
    assert from_query_params({}) == from_query_params({"team": "", "setting": " "})
    assert from_query_params({}).filter == StudyFilter()


@pytest.mark.parametrize(
    ("params", "kept", "notice"),
    [
        ({"team": "oak", "setting": "community"}, StudyFilter(setting="community"), "team='oak'"),
        ({"team": "1;drop table teams"}, StudyFilter(), "team="),
        ({"setting": "Mars"}, StudyFilter(), "setting='Mars'"),
        ({"from": "31/12/2019", "team": "2"}, StudyFilter(teams=(2,)), "from='31/12/2019'"),
        ({"to": "2019-02-30"}, StudyFilter(), "to='2019-02-30'"),
        ({"from": "2020-02-01", "to": "2019-07-01"}, StudyFilter(), "2020-02-01 is after 2019-07-01"),
    ],
)
def test_a_bad_parameter_falls_back_to_its_default_with_a_notice(
    params: dict[str, str], kept: StudyFilter, notice: str
) -> None:
    parsed = from_query_params(params)
    assert parsed.filter == kept
    assert len(parsed.notices) == 1
    assert notice in parsed.notices[0]


def test_defaults_are_left_out_of_the_link() -> None:
    assert to_query_params(StudyFilter()) == {}
    assert to_query_params(StudyFilter(setting="other", teams=(4,))) == {"team": "4", "setting": "other"}


filters = st.builds(
    StudyFilter,
    teams=st.lists(st.integers(1, 10_000), unique=True, max_size=5).map(lambda t: tuple(sorted(t))),
    setting=st.sampled_from([None, "community", "inpatient", "other"]),
    start=st.none() | st.dates(dt.date(2000, 1, 1), dt.date(2010, 1, 1)),
    end=st.none() | st.dates(dt.date(2010, 1, 2), dt.date(2030, 1, 1)),
)


@given(filters)
def test_every_filter_round_trips_through_the_url(flt: StudyFilter) -> None:
    assert from_query_params(to_query_params(flt)) == ParsedFilter(flt, ())


@given(st.dictionaries(st.sampled_from(["team", "setting", "from", "to", "other"]), st.text(max_size=30)))
def test_any_parameters_give_a_valid_filter_and_never_raise(params: dict[str, str]) -> None:
    parsed = from_query_params(params)
    assert isinstance(parsed.filter, StudyFilter)
