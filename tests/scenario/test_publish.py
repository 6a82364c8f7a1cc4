"""Publishing for a team, through signed payloads: `/learn publish` and the Home tab's button open the
modal, its competency menu is searched as one types, bad fields are told under each, and the item is
stored for the team and confirmed; only those who may publish see the button or get the form."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.library import Draft, import_items
from store.models import Competency, LibraryItem, Team
from tests.harness import Harness, all_text, buttons
from tests.org import ALICE, SAM, Org, make_org

FORM = {"title": "Lockout-tagout on the press line", "url": "https://wiki.example/loto",
        "summary": "Six steps before you open the guard.", "competency": "SAFE-1"}


def arrange(bot: Harness, competencies: bool = True) -> Org:
    with bot.runtime.sessions() as session:
        return make_org(session, bot.runtime.clock.now(), competencies=competencies)


def open_modal(bot: Harness, user: str = SAM) -> dict[str, object]:
    bot.command(user, "publish")
    return bot.slack.calls_to("views.open")[-1].params["view"]


def errors(response: object) -> dict[str, str]:
    body = json.loads(response.body)  # type: ignore[attr-defined]
    assert body["response_action"] == "errors"
    return dict(body["errors"])


def test_a_supervisor_publishes_for_their_team_from_the_slash_command(bot: Harness) -> None:
    org = arrange(bot)
    modal = open_modal(bot)
    audience = next(b for b in modal["blocks"] if b.get("block_id") == "audience")  # type: ignore[union-attr]
    assert audience["element"]["initial_option"]["value"] == str(org.line_a)
    assert [o["text"]["text"] for o in audience["element"]["options"]] == ["Line A"]
    assert [(o["value"], o["text"]["text"]) for o in bot.suggest(SAM, modal, "competency", "safe")] == [
        ("SAFE-1", "Machine safety")]
    assert bot.suggest(SAM, modal, "competency", "nothing like it") == []

    values = {**FORM, "audience": str(org.line_a)}
    assert errors(bot.submit(SAM, modal, {**values, "title": "", "url": "ftp://x", "competency": ""})) == {
        "title": "A title, please.", "url": "A link starting with http:// or https://.",
        "competency": "Choose a competency from L&D's framework."}
    assert "only publish for a team" in errors(bot.submit(SAM, modal, {**values, "audience": str(org.quality)}))["title"]
    with bot.runtime.sessions() as session:
        assert session.scalars(select(LibraryItem)).all() == []

    bot.submit(SAM, modal, values)
    [confirmed] = bot.posts(SAM)
    assert "Published <https://wiki.example/loto|Lockout-tagout on the press line> for *Line A* (Machine safety)" \
        in confirmed.text
    with bot.runtime.sessions() as session:
        item = session.scalars(select(LibraryItem)).one()
        assert (item.audience_id, item.competency_id, item.owner_id, item.created_by) == (org.line_a, "SAFE-1", SAM, SAM)
    assert errors(bot.submit(SAM, modal, values)) == {"url": "The library has this already: that link is in it."}

    bot.command(SAM, "how do I do lockout-tagout on the press line?")  # its owner may ask to share it
    assert "Request to share with…" in [b["text"] for b in buttons(bot.last_reply())]
    bot.command(ALICE, "lockout-tagout on the press line, how?")  # a member of the team: no such button
    offered = bot.last_reply()
    assert "Lockout-tagout on the press line" in all_text(offered)
    assert "Request to share with…" not in [b["text"] for b in buttons(offered)]


def test_the_home_tab_offers_publishing_to_those_who_may(bot: Harness) -> None:
    org = arrange(bot)
    bot.event({"type": "app_home_opened", "user": SAM, "tab": "home"})
    home = bot.slack.calls_to("views.publish")[-1].params["view"]
    assert "My team's content" in json.dumps(home) and "Nothing published for your teams yet." in json.dumps(home)
    bot.click(SAM, button_in(home, "Publish for my team"))
    modal = bot.slack.calls_to("views.open")[-1].params["view"]
    bot.submit(SAM, modal, {**FORM, "url": "", "audience": str(org.line_a)})
    home = bot.slack.calls_to("views.publish")[-1].params["view"]  # the submission redraws it
    assert "*Lockout-tagout on the press line*\nFor Line A · It hasn't answered a question yet." in [
        b["text"]["text"] for b in home["blocks"] if b["type"] == "section"]
    assert "Request to share with…" in [b["text"] for b in _buttons(home)]

    bot.event({"type": "app_home_opened", "user": ALICE, "tab": "home"})
    alice = json.dumps(bot.slack.calls_to("views.publish")[-1].params["view"])
    assert "Publish for my team" not in alice and "My team's content" not in alice


def test_people_who_may_not_publish_are_told_why_and_get_no_form(bot: Harness) -> None:
    arrange(bot)
    bot.command(ALICE, "publish")
    assert "You can publish for the teams you supervise" in bot.last_reply().text
    bot.click(ALICE, {"action_id": "publish", "value": "publish"})
    assert "You can publish for the teams you supervise" in bot.last_reply().text
    assert bot.slack.calls_to("views.open") == []


def test_without_a_competency_framework_nobody_can_publish(bot: Harness) -> None:
    arrange(bot, competencies=False)
    bot.command(SAM, "publish")
    assert "L&D hasn't imported a competency framework yet" in bot.last_reply().text
    assert bot.slack.calls_to("views.open") == []


def test_publishing_refuses_a_title_or_link_the_library_has(bot: Harness) -> None:
    org = arrange(bot)
    with bot.runtime.sessions() as session:
        import_items(session, [Draft("Press line safety", None, "")], bot.runtime.clock.now())
        session.commit()
    modal = open_modal(bot)
    assert errors(bot.submit(SAM, modal, {**FORM, "title": "press line  SAFETY", "url": "",
                                          "audience": str(org.line_a)})) == {
        "title": "The library has this already: an item with that title is in it."}
    assert errors(bot.submit(SAM, modal, {**FORM, "title": "Press line safety", "audience": str(org.line_a)})) == {
        "title": "The library has this already: an item with that title is in it."}  # with a link of its own
    with bot.runtime.sessions() as session:
        [kept] = session.scalars(select(LibraryItem)).all()
        assert (kept.url, kept.owner_id, kept.audience_id) == (None, None, None)


def _buttons(view: dict[str, object]) -> list[dict[str, str]]:
    from tests.harness import block_buttons
    return block_buttons(view["blocks"])  # type: ignore[arg-type]


def button_in(view: dict[str, object], label: str) -> dict[str, str]:
    [found] = [b for b in _buttons(view) if b["text"] == label]
    return found


def test_a_published_item_is_verified_by_its_publisher(bot: Harness) -> None:
    org = arrange(bot)
    bot.submit(SAM, open_modal(bot), {**FORM, "audience": str(org.line_a)})
    bot.command(ALICE, "lockout-tagout on the press line, how?")
    text = all_text(bot.last_reply())
    assert "Verified by <@U0SAM> on 5 Jan 2026" in text and "Not verified" not in text
    with bot.runtime.sessions() as session:
        item = session.scalars(select(LibraryItem)).one()
        assert (item.verified_by, item.verified_at) == (SAM, bot.runtime.clock.now())


def test_a_learning_manager_in_no_team_searches_any_team(bot: Harness) -> None:
    org = arrange(bot)
    bot.event({"type": "app_home_opened", "user": "U0MANAGER", "tab": "home"})
    assert "Publish for my team" in json.dumps(bot.slack.calls_to("views.publish")[-1].params["view"])
    modal = open_modal(bot, "U0MANAGER")
    audience = next(b for b in modal["blocks"] if b.get("block_id") == "audience")  # type: ignore[union-attr]
    assert audience["element"]["type"] == "external_select" and "initial_option" not in audience["element"]
    assert [o["text"]["text"] for o in bot.suggest("U0MANAGER", modal, "audience", "LINE")] == ["Line A", "Line B"]
    assert bot.suggest(SAM, modal, "audience", "qual") == []  # the menu only offers the presser's own teams
    assert [o["text"]["text"] for o in bot.suggest(SAM, modal, "audience", "line")] == ["Line A"]
    bot.submit("U0MANAGER", modal, {**FORM, "audience": str(org.quality)})
    with bot.runtime.sessions() as session:
        item = session.scalars(select(LibraryItem)).one()
        assert (item.audience_id, item.owner_id) == (org.quality, "U0MANAGER")


def test_menus_find_names_with_accented_capitals_as_typed_or_in_capitals(bot: Harness) -> None:
    arrange(bot)
    with bot.runtime.sessions() as session:
        now = bot.runtime.clock.now()
        session.add_all([Team(name="Équipe Nord", created_at=now), Team(name="Stock 100% checked", created_at=now),
                         Team(name="Stock 1000 checked", created_at=now),
                         Competency(id="ELEC-1", name="Électricité de base")])
        session.commit()
    modal = open_modal(bot, "U0MANAGER")
    for typed in ("Équipe", "ÉQUIPE NORD", "quipe n"):
        assert [o["text"]["text"] for o in bot.suggest("U0MANAGER", modal, "audience", typed)] == ["Équipe Nord"], typed
    assert [o["text"]["text"] for o in bot.suggest("U0MANAGER", modal, "audience", "100%")] == ["Stock 100% checked"]
    for typed in ("Électricité", "ÉLEC", "ELEC-1", "de base"):
        assert [o["value"] for o in bot.suggest("U0MANAGER", modal, "competency", typed)] == ["ELEC-1"], typed
    assert bot.suggest("U0MANAGER", modal, "competency", "%") == []  # a percent sign is not a wildcard


def test_a_slack_error_on_the_confirmation_still_puts_the_item_in_search_at_once(bot: Harness) -> None:
    org = arrange(bot)
    modal = open_modal(bot)
    bot.slack.fail_next("chat.postMessage", "internal_error", status=500, times=5)
    bot.submit(SAM, modal, {**FORM, "audience": str(org.line_a)})
    bot.command(ALICE, "lockout-tagout on the press line, how?")
    assert "Lockout-tagout on the press line" in all_text(bot.last_reply())
