"""Config loading: ${ENV} interpolation, validation errors that name file, line and key."""

from __future__ import annotations

import pytest

from proxy import config
from proxy.errors import ConfigError

GOOD = """
upstreams:
  opik:  {vendor: opik,  base_url: "http://127.0.0.1:5173/api",
          headers: {Authorization: "${OPIK_API_KEY:-}", Comet-Workspace: default}}
  scale: {vendor: scale, base_url: "https://api.egp.scale.com",
          headers: {x-api-key: "${SGP_API_KEY}", x-selected-account-id: "${SGP_ACCOUNT_ID}"}}
routes:
  - from: tracia
    primary: opik
    mirrors: [scale]
"""


def write(tmp_path, text: str):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_the_issue_shape_loads_with_env_and_defaults(tmp_path):
    cfg = config.load(write(tmp_path, GOOD), env={"SGP_API_KEY": "k1", "SGP_ACCOUNT_ID": "acct_9"})
    assert cfg.upstreams["opik"].headers == {"Authorization": "", "Comet-Workspace": "default"}
    assert cfg.upstreams["scale"].headers == {"x-api-key": "k1", "x-selected-account-id": "acct_9"}
    assert cfg.upstreams["opik"].base_url == "http://127.0.0.1:5173/api"
    route = cfg.routes[0]
    assert (route.src, route.primary, route.mirrors, route.untranslatable) == ("tracia", "opik", ["scale"], "reject")


def test_default_value_is_used_when_the_variable_is_unset(tmp_path):
    cfg = config.load(
        write(tmp_path, GOOD.replace("${OPIK_API_KEY:-}", "${OPIK_API_KEY:-fallback}")),
        env={"SGP_API_KEY": "", "SGP_ACCOUNT_ID": ""},
    )
    assert cfg.upstreams["opik"].headers["Authorization"] == "fallback"


def test_unset_variable_without_default_names_variable_and_line(tmp_path):
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path, GOOD), env={"SGP_ACCOUNT_ID": "a"})
    assert "SGP_API_KEY is not set" in err.value.message
    assert "config.yaml:6"  # the scale line that names it (its second line) in err.value.message


def test_route_naming_an_unknown_upstream_names_the_key_and_line(tmp_path):
    with pytest.raises(ConfigError) as err:
        config.load(
            write(tmp_path, GOOD.replace("primary: opik", "primary: opk")),
            env={"SGP_API_KEY": "", "SGP_ACCOUNT_ID": ""},
        )
    msg = err.value.message
    assert "routes::0::primary: upstream 'opk' is not configured; known: opik, scale" in msg
    assert "config.yaml:" in msg


def test_unknown_key_is_rejected_with_its_location(tmp_path):
    text = GOOD.replace("    mirrors: [scale]", "    mirrors: [scale]\n    mirorrs: [opik]")
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path, text), env={"SGP_API_KEY": "", "SGP_ACCOUNT_ID": ""})
    assert "routes::0::mirorrs" in err.value.message
    assert "config.yaml:11:5" in err.value.message


def test_bad_base_url_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError) as err:
        config.load(
            write(tmp_path, GOOD.replace('"https://api.egp.scale.com"', '"api.egp.scale.com"')),
            env={"SGP_API_KEY": "", "SGP_ACCOUNT_ID": ""},
        )
    assert "base_url must start with http" in err.value.message and "upstreams::scale" in err.value.message
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path, "routes: [\n  {from: tracia"), env={})
    assert "not valid YAML" in err.value.message


def test_comment_lines_are_not_interpolated(tmp_path):
    cfg = config.load(write(tmp_path, "# uses ${NOT_SET_ANYWHERE}\nupstreams: {}\n"), env={})
    assert cfg.upstreams == {}


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as err:
        config.load(tmp_path / "nope.yaml")
    assert "cannot read config" in err.value.message


def test_an_unset_variable_is_reported_on_its_own_line_not_on_a_commented_out_example(tmp_path):
    text = (
        "# an example, commented out:\n"
        '#   headers: {x-api-key: "${SGP_API_KEY}"}\n'
        "upstreams:\n"
        '  opik: {vendor: opik, base_url: "http://127.0.0.1:5173/api"}  # was ${SGP_API_KEY} once\n'
        "  scale:\n"
        "    vendor: scale\n"
        '    base_url: "https://api.egp.scale.com"\n'
        '    headers: {x-api-key: "${SGP_API_KEY}"}\n'
    )
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path, text), env={})
    assert err.value.message == (
        f"{tmp_path / 'config.yaml'}:8: environment variable SGP_API_KEY is not set "
        "(write ${SGP_API_KEY:-} for an empty default)"
    )
    cfg = config.load(write(tmp_path, text), env={"SGP_API_KEY": "k"})  # a comment after a value is not read either
    assert cfg.upstreams["scale"].headers == {"x-api-key": "k"}
    assert cfg.upstreams["opik"].base_url == "http://127.0.0.1:5173/api"


def test_a_hash_inside_quotes_is_not_a_comment(tmp_path):
    text = 'upstreams:\n  opik: {vendor: opik, base_url: "http://h/#${HOST}", headers: {a: "#${K}"}}\n'
    cfg = config.load(write(tmp_path, text), env={"HOST": "x", "K": "v"})
    assert (cfg.upstreams["opik"].base_url, cfg.upstreams["opik"].headers) == ("http://h/#x", {"a": "#v"})
