"""Settings that guard the server: trusted proxies are checked when read."""

from __future__ import annotations

import pytest

from pnyx.config import load_settings


def test_trusted_proxies_are_none_by_default(tmp_path):
    settings = load_settings({}, toml_path=str(tmp_path / "none.toml"))
    assert settings.trusted_proxy_list == []


def test_trusted_proxies_from_the_environment_and_the_file(tmp_path):
    env = {"PNYX_TRUSTED_PROXIES": " 127.0.0.1, 10.0.0.0/8 ,::1"}
    settings = load_settings(env, toml_path=str(tmp_path / "none.toml"))
    assert settings.trusted_proxy_list == ["127.0.0.1", "10.0.0.0/8", "::1"]
    toml = tmp_path / "pnyx.toml"
    toml.write_text('trusted_proxies = ["192.0.2.1", "198.51.100.0/24"]\n')
    assert load_settings({}, toml_path=str(toml)).trusted_proxy_list == [
        "192.0.2.1",
        "198.51.100.0/24",
    ]


def test_a_trusted_proxy_that_is_not_an_address_is_refused(tmp_path):
    with pytest.raises(ValueError, match="PNYX_TRUSTED_PROXIES"):
        load_settings({"PNYX_TRUSTED_PROXIES": "proxy.example"}, toml_path=str(tmp_path / "x"))
