"""Incoming Slack text is decoded once into what the person wrote."""

from __future__ import annotations

import pytest

from bot.slack_text import decode
from handlers.blocks import escape


@pytest.mark.parametrize("wire, plain", [
    ("Use R&amp;D&#39;s form: 5 &lt; 6 &gt; 4", "Use R&D&#39;s form: 5 < 6 > 4"),
    ("See <https://wiki.example.com/vpn?a=1&amp;b=2|the VPN page>", "See the VPN page (https://wiki.example.com/vpn?a=1&b=2)"),
    ("<https://wiki.example.com/vpn>", "https://wiki.example.com/vpn"),
    ("<https://x.example.com|https://x.example.com>", "https://x.example.com"),
    ("ask <@U0BOB> or <@U0CAROL|carol>", "ask @U0BOB or @carol"),
    ("in <#C0HELP|help> or <#C0ANDON>", "in #help or #C0ANDON"),
    ("<!here> <!channel> <!subteam^S123|@quality>", "@here @channel @quality"),
    ("mail <mailto:it@example.com|it@example.com>", "mail it@example.com"),
    ("literal &amp;lt;b&amp;gt; stays literal", "literal &lt;b&gt; stays literal"),
    ("<https://x.example.com|a &amp;lt; b>", "a &lt; b (https://x.example.com)"),
    ("no markup at all", "no markup at all"),
])
def test_decode(wire: str, plain: str) -> None:
    assert decode(wire) == plain


def test_decoded_then_escaped_pings_nobody_and_round_trips_the_text() -> None:
    shown = escape(decode("<!channel> see <https://x.example.com|R&amp;D>"))
    assert shown == "@channel see R&amp;D (https://x.example.com)"
    assert "<" not in shown
