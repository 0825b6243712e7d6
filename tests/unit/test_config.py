"""Settings: defaults, environment overrides, clear errors, and each one documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from observation import config
from observation.errors import ObservationError


def test_defaults_point_at_the_embedded_study() -> None:
    s = config.load_settings({})
    assert s.db_path == config.PROJECT_ROOT / "data" / "study.duckdb"
    assert s.meaningful_level == "contributing"
    assert s.involvement_target == 0.8
    assert s.presenter_minimum == 5


def test_environment_overrides_each_setting() -> None:
    s = config.load_settings(
        {
            "OBSERVATION_DB": "/tmp/other.duckdb",
            "OBSERVATION_MEANINGFUL_LEVEL": "co_leading",
            "OBSERVATION_INVOLVEMENT_TARGET": "0.5",
        }
    )
    assert (s.db_path, s.meaningful_level, s.involvement_target) == (Path("/tmp/other.duckdb"), "co_leading", 0.5)
    assert config.load_settings({"OBSERVATION_PRESENTER_MINIMUM": "8"}).presenter_minimum == 8


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OBSERVATION_MEANINGFUL_LEVEL", "shouting"),
        ("OBSERVATION_INVOLVEMENT_TARGET", "80%"),
        ("OBSERVATION_INVOLVEMENT_TARGET", "1.5"),
        ("OBSERVATION_PRESENTER_MINIMUM", "1"),  # a count of 1 would be shown: no floor at all
        ("OBSERVATION_PRESENTER_MINIMUM", "101"),
        ("OBSERVATION_PRESENTER_MINIMUM", "5.5"),
    ],
)
def test_a_bad_setting_is_named_with_its_value(name: str, value: str) -> None:
    with pytest.raises(ObservationError) as caught:
        config.load_settings({name: value})
    assert name in str(caught.value)
    assert repr(value) in str(caught.value)


def test_every_setting_is_documented_on_the_settings_page() -> None:
    page = (config.PROJECT_ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for setting in config.SETTINGS:
        assert f"`{setting.env}`" in page, f"docs/settings.md does not document {setting.env}"


def test_the_shipped_streamlit_config_is_the_hardened_profile() -> None:
    """What docs/access.md promises a deployment: no error details in the browser, XSRF protection,
    an upload limit, no usage statistics, and this computer only until sign-in is configured."""
    import tomllib

    shipped = tomllib.loads((config.PROJECT_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert shipped["client"]["showErrorDetails"] == "none"
    assert shipped["server"]["enableXsrfProtection"] is True
    assert 0 < shipped["server"]["maxUploadSize"] <= 200
    assert shipped["browser"]["gatherUsageStats"] is False
    assert shipped["server"]["address"] == "127.0.0.1"
    secrets = config.PROJECT_ROOT / ".streamlit" / "secrets.toml"
    assert ".streamlit/secrets.toml" in (config.PROJECT_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    example = tomllib.loads(secrets.with_name("secrets.toml.example").read_text(encoding="utf-8"))
    assert example == {}  # the example holds comments only: nothing to leak, nothing switched on
