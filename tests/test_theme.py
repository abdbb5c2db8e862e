"""One theme: the flags `aisector dashboard` starts Streamlit with carry the theme module's light and
dark values, under option names Streamlit knows, and no other file holds a copy."""

from __future__ import annotations

import tomllib

from streamlit import config as streamlit_config

from aisector.present import theme
from tests.headless import ROOT
from tests.test_browser_layout import contrast, rgb


def test_the_dashboard_starts_with_the_theme_modules_light_and_dark_values(
    dashboard_start,
) -> None:
    command, _env = dashboard_start("--source", "offline")
    streamlit_flags = command[: command.index("--")]  # after "--" come the app's own arguments
    assert "--theme.light.backgroundColor=#ffffff" in streamlit_flags
    assert f"--theme.dark.backgroundColor={theme.DARK.background_color}" in streamlit_flags
    assert f"--theme.dark.textColor={theme.DARK.text_color}" in streamlit_flags
    assert f"--theme.light.primaryColor={theme.LIGHT.primary_color}" in streamlit_flags
    assert "--theme.showSidebarBorder=true" in streamlit_flags
    theme_flags = [flag for flag in streamlit_flags if flag.startswith("--theme.")]
    assert len(theme_flags) == len(theme.streamlit_options()) == 15  # 5 layout + 2 x 5 colours
    assert "--server.enableXsrfProtection=true" in streamlit_flags  # the config file's, still


def test_every_theme_option_is_one_streamlit_knows() -> None:
    for name in theme.streamlit_options():
        streamlit_config.get_option(name)  # an unknown key raises RuntimeError


def test_the_streamlit_config_file_holds_no_copy_of_the_theme() -> None:
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert "theme" not in settings
    assert settings["server"]["enableXsrfProtection"] is True  # the rest stays


def test_the_token_grids_gain_and_loss_keep_4_to_1_on_both_backgrounds() -> None:
    for color in (theme.GAIN_ON_BOTH, theme.LOSS_ON_BOTH):
        for mode in (theme.LIGHT, theme.DARK):
            assert contrast(rgb(color), rgb(mode.background_color)) >= 4, (color, mode)


def test_a_theme_colour_seen_through() -> None:
    assert theme.rgba(theme.FALLBACK, 0.45) == "rgba(148,163,184,0.45)"
    assert theme.rgba(theme.LIGHT.background_color, 0.75) == "rgba(255,255,255,0.75)"
