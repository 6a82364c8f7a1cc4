"""The `learnbot` command."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import experts, library, outbox, roles, teams
from bot.config import ConfigError, Settings, load_settings
from bot.encoder_settings import describe_matcher, stored_model
from bot.importing import (Parsed, is_user_id, parse_competencies, parse_content, parse_experts, parse_teams,
                           read_text)
from bot.progress import progress_bar
from bot.runtime import Runtime, open_runtime, web_client
from bot.search import ALL_AUDIENCES, Audiences, Hit, MatchResult, parse_synonyms
from bot.search.embedder import embedding_status
from bot.wording import plural
from store.db import make_engine, session_factory, upgrade
from store.models import GrantedRole, LibraryItem, Question

BATCH = 1000
CHECK_TIMEOUT = 5  # seconds: `learnbot config` asks Slack about the channels, briefly


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse arguments, load settings, run the subcommand; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.command == "run" else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"learnbot: {exc}", file=sys.stderr)
        return 2
    try:
        result: int = args.handler(settings, args)
    except ConfigError as exc:  # a setting only found wrong when used (an unwritable cache)
        print(f"learnbot: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `learnbot ask ... | head`: the reader has had enough
        sys.stderr.close()
        return 0
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="learnbot", description="Pull learning in Slack.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="serve Slack (Socket Mode with SLACK_APP_TOKEN, else HTTP)")
    run.add_argument("--host", default="0.0.0.0")
    run.add_argument("--port", type=int, default=3000)
    run.set_defaults(handler=_run)

    console = sub.add_parser("console", help="a local shell that talks to the bot without Slack")
    console.add_argument("--demo", action="store_true", help="load a small sample library and experts")
    console.set_defaults(handler=_console)

    sub.add_parser("config", help="print the effective settings, secrets masked").set_defaults(handler=_config)

    sub.add_parser("embed", help="store the vectors semantic matching lacks (resumes where it stopped; several "
                                 "may run at once on PostgreSQL)").set_defaults(handler=_embed)

    team = sub.add_parser("teams", help="teams")
    team_sub = team.add_subparsers(dest="teams_command", required=True, metavar="ACTION")
    team_sub.add_parser("sync", help="teams that follow a Slack user group take its members now (run does it "
                                     "every 6 hours)").set_defaults(handler=_teams_sync)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply migrations").set_defaults(handler=_db_upgrade)

    imp = sub.add_parser("import", help="import content, experts, teams, competencies or synonyms from a file")
    imp_sub = imp.add_subparsers(dest="what", required=True, metavar="WHAT")
    for what, helptext, handler in (
        ("content", "library items from CSV or JSON Lines (title, url, body, tags, owner)", _import_content),
        ("experts", "expert topics from CSV (user_id, topics)", _import_experts),
        ("teams", "teams and their people from CSV (team, user_id, role, parent; optional usergroup)",
         _import_teams),
        ("competencies", "L&D's competency framework from CSV, JSON Lines or a JSON array (id, name, parent)",
         _import_competencies),
        ("synonyms", "synonym groups, one comma-separated group per line", _import_synonyms),
        ("slack-export", "past questions, thread answers and who answered what, from a Slack export (zip or "
                         "folder)", _import_slack_export),
    ):
        p = imp_sub.add_parser(what, help=helptext)
        p.add_argument("file", type=Path)
        p.set_defaults(handler=handler)
        if what == "content":
            p.add_argument("--owner", type=_user_id, help="the verifier of items whose line names none "
                                                          "(default: the learning managers)")

    sub.add_parser("sweep", help="run one sweep now (nudges, andon escalations, reminders) and exit") \
        .set_defaults(handler=_sweep)

    dig = sub.add_parser("digest", help="build the weekly digest now (post it, or --dry-run to print it)")
    dig.add_argument("--dry-run", action="store_true", help="print the digest instead of posting it")
    dig.add_argument("--week", help="the ISO week, e.g. 2026-W47 (default: the last complete week)")
    dig.add_argument("--out", type=Path, help="with --dry-run: write the chart PNG into this folder")
    dig.set_defaults(handler=_digest)

    lib = sub.add_parser("library", help="the learning library")
    lib_sub = lib.add_subparsers(dest="library_command", required=True, metavar="ACTION")
    stale = lib_sub.add_parser("stale", help="the items due for review: item, owner, due since, uses")
    stale.add_argument("--json", action="store_true", help="one JSON object per item")
    stale.set_defaults(handler=_library_stale)

    andon = sub.add_parser("andon", help="andon cards")
    andon_sub = andon.add_subparsers(dest="andon_command", required=True, metavar="ACTION")
    andon_sub.add_parser("list", help="print the open cards").set_defaults(handler=_andon_list)
    export = andon_sub.add_parser("export", help="every card (all states) with every question, as CSV or JSON")
    export.add_argument("--format", choices=("csv", "json"), default="csv", help="csv (default): a row per "
                        "question with its card's columns; json: an object per card with its questions")
    export.add_argument("--out", type=Path, help="write to this file instead of standard output")
    export.set_defaults(handler=_andon_export)

    role = sub.add_parser("role", help="roles granted in the database (LEARNBOT_MANAGERS stays the root)")
    role_sub = role.add_subparsers(dest="role_command", required=True, metavar="ACTION")
    for action, helptext, handler in (("grant", "grant ROLE to USER_ID", _role_grant),
                                      ("revoke", "revoke ROLE from USER_ID", _role_revoke)):
        p = role_sub.add_parser(action, help=helptext)
        p.add_argument("role", type=GrantedRole, choices=list(GrantedRole), metavar="ROLE",
                       help="learning_manager or content_owner")
        p.add_argument("user_id", type=_user_id, metavar="USER_ID")
        p.set_defaults(handler=handler)
    role_sub.add_parser("list", help="everyone holding a role, env managers marked").set_defaults(handler=_role_list)

    ask = sub.add_parser("ask", help="route questions as /learn would (from stdin without QUESTION)")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--json", action="store_true", help="one JSON object per question")
    ask.add_argument("--limit", type=int, default=5, help="results per list (default 5)")
    ask.add_argument("--explain", action="store_true", help="show matched terms, synonyms and score parts")
    ask.add_argument("--as", dest="as_user", metavar="USER_ID",
                     help="see only what this person sees (their teams' items and the organisation's); "
                          "default: every item, whatever its audience")
    ask.set_defaults(handler=_ask)
    return parser


# -- run / console / config / db ----------------------------------------------------------------

def _run(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.slack_bot_token:
        print("learnbot: SLACK_BOT_TOKEN is not set, so there is no Slack to talk to. "
              "To try the bot locally without Slack, run `learnbot console --demo`.", file=sys.stderr)
        return 2
    if not settings.help_channel:
        print("learnbot: LEARNBOT_HELP_CHANNEL is required for `learnbot run`: the ID of the channel where "
              "questions are posted (such as C012ABCDEF)", file=sys.stderr)
        return 2
    from bot.run.serve import serve_slack

    return serve_slack(settings, args.host, args.port)


def _console(settings: Settings, args: argparse.Namespace) -> int:
    from bot.run.console import run_console

    return run_console(settings, demo=args.demo, stdin=sys.stdin, stdout=sys.stdout)


def _config(settings: Settings, _args: argparse.Namespace) -> int:
    described = {**settings.describe(), "matcher": describe_matcher(settings), **_channels(settings),
                 "outbox": _read_database(settings, _outbox_counts)}
    model = stored_model(settings)
    if model is not None:
        described["embeddings"] = _read_database(settings, lambda session: embedding_status(session, model).summary())
    width = max(map(len, described))
    for name, value in described.items():
        print(f"{name.ljust(width)}  {value}")
    return 0


def _channels(settings: Settings) -> dict[str, str]:
    """Each configured channel's state, as Slack tells it (nothing joined: `learnbot run` does that)."""
    from slack_sdk import WebClient

    from bot.run.channels import channel_states, configured

    if not settings.slack_bot_token:
        return {f"channel {role}": "(not checked: SLACK_BOT_TOKEN is not set)" for role in configured(settings)}
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=CHECK_TIMEOUT)
    return {f"channel {role}": state for role, state in channel_states(client, settings, join=False).items()}


def _read_database(settings: Settings, read: Callable[[Session], str]) -> str:
    """What ``read`` says of the database, which is neither created nor migrated here."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return "(no database yet)"
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session:
            return read(session)
    except SQLAlchemyError as exc:
        return f"(cannot read the database: {type(exc).__name__}; `learnbot db upgrade` creates it)"
    finally:
        engine.dispose()


def _outbox_counts(session: Session) -> str:
    counted = outbox.counts(session)
    return f"{counted['pending']} pending, {counted['failed']} failed"


def _embed(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.encoder_settings import open_encoder
    from bot.search.embedder import Embedder

    encoder = open_encoder(settings)
    if encoder is None:
        print(f"learnbot: nothing to embed: the matcher is {describe_matcher(settings)}", file=sys.stderr)
        return 2
    runtime = open_runtime(settings, load_index=False)
    embedder = Embedder(runtime.sessions, encoder, runtime.clock.now)
    chunks = embedder.plan()
    show = progress_bar(sum(len(c.texts) for c in chunks), "embedding", always=True)
    try:
        report = embedder.run(chunks, progress=show)
    except KeyboardInterrupt:
        print("\nstopped: `learnbot embed` again resumes where this stopped", file=sys.stderr)
        return 130
    with runtime.sessions() as session:
        status = embedding_status(session, encoder.model_id)
    busy = f"; {report.busy:,} left to another embedder" if report.busy else ""
    print(f"embedded {plural(report.embedded, 'text')}{busy}; {status.summary()}")
    return 0


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    upgrade(make_engine(settings.database_url))
    print(f"database is up to date: {_redacted(settings.database_url)}")
    return 0


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# -- sweep and andon -----------------------------------------------------------------------------

def _sweep(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.jobs import sweep
    from bot.run.build import build
    from bot.run.scheduler import Leadership

    bot = build(settings)
    leadership = Leadership(bot.runtime.engine)
    if not leadership.is_leader():
        print("learnbot: another process holds the scheduler lock and sweeps; nothing done", file=sys.stderr)
        return 1
    try:
        report = sweep(bot.runtime, bot.outbox.deliver_due if settings.slack_bot_token else lambda: 0)
    finally:
        leadership.release()
    print(report.summary() + ("" if settings.slack_bot_token else " (no SLACK_BOT_TOKEN: messages stay queued)"))
    return 0


def _digest(settings: Settings, args: argparse.Namespace) -> int:
    from bot import digest
    from bot.run.build import build
    from handlers.digest import digest_png
    from handlers.digest_blocks import digest as digest_payload
    from handlers.plaintext import Names, render_blocks

    bot = build(settings, load_index=False)
    runtime = bot.runtime
    now = runtime.clock.now()
    try:
        week = digest.parse_week(args.week, settings.timezone) if args.week else \
            digest.week_of(now, settings.timezone).before(settings.timezone)
    except ValueError as exc:
        print(f"learnbot: --week: {exc}", file=sys.stderr)
        return 2
    if not args.dry_run:
        if not settings.slack_bot_token:
            print("learnbot: SLACK_BOT_TOKEN is not set; use --dry-run to see the digest", file=sys.stderr)
            return 2
        with runtime.sessions() as session:
            run = digest.start_run(session, settings, week, now)
        if run is None:
            print(f"The digest of {week.label} was sent before; nothing to do.")
            return 0
        sent = bot.outbox.deliver_due()
        print(f"digest of {week.label}: {plural(sent, 'message')} sent")
        return 0
    with runtime.sessions() as session:
        team = digest.build_digest(session, week, settings.timezone)
        managers = digest.build_digest(session, week, settings.timezone, for_managers=True)
    for title, built in (("TEAM DIGEST", team), ("MANAGERS' DIGEST", managers)):
        print(f"===== {title} =====")
        print("\n".join(render_blocks(digest_payload(built, lambda c, t, _: None, now), Names())))
        print()
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"learnbot-{week.label}.png"
        path.write_bytes(digest_png(team.history))
        print(f"chart: {path}")
    return 0


def _andon_list(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.andon import open_cards

    runtime = open_runtime(settings, load_index=False)
    with runtime.sessions() as session:
        cards = open_cards(session)
    if not cards:
        print("No open andon cards.")
    now = runtime.clock.now()
    for card, questions, askers, oldest in cards:
        age = f"{(now - oldest).days}d" if oldest else "-"
        flags = " [FORMAL LEARNING NEEDED]" if card.kanban_at else ""
        who = f", acknowledged by {card.acknowledged_by}" if card.acknowledged_by else ""
        print(f"#{card.id} {card.label}: {plural(questions, 'question')} from {plural(askers, 'asker')}, "
              f"oldest {age}, {card.status}{who}{flags}")
    return 0


def _role_grant(settings: Settings, args: argparse.Namespace) -> int:
    runtime = open_runtime(settings, load_index=False)
    with runtime.sessions() as session:
        print(roles.grant(session, args.role, args.user_id, runtime.clock.now()))
    return 0


def _role_revoke(settings: Settings, args: argparse.Namespace) -> int:
    runtime = open_runtime(settings, load_index=False)
    with runtime.sessions() as session:
        print(roles.revoke(session, settings, args.role, args.user_id))
    return 0


def _role_list(settings: Settings, _args: argparse.Namespace) -> int:
    runtime = open_runtime(settings, load_index=False)
    with runtime.sessions() as session:
        found = roles.holders(session, settings)
    if not found:
        print("No roles granted.")
    for holder in found:
        how = " (LEARNBOT_MANAGERS)" if holder.root else (
            f" (granted {holder.granted_at:%Y-%m-%d})" if holder.granted_at else "")
        print(f"{holder.role} {holder.user_id}{how}")
    return 0


def _library_stale(settings: Settings, args: argparse.Namespace) -> int:
    from bot.trust import due_items

    runtime = open_runtime(settings, load_index=False)
    with runtime.sessions() as session:
        due = due_items(session, runtime.clock.now())
    for row in due:
        owner = row.owner_id or "learning managers"
        if args.json:
            print(json.dumps({"item_id": row.item_id, "title": row.title, "url": row.url, "owner": row.owner_id,
                              "due_since": row.due.isoformat(), "uses": row.uses}, ensure_ascii=False))
        else:
            print(f"#{row.item_id} {row.title}: {owner}, due since {row.due.date()}, {plural(row.uses, 'use')}")
    if not due and not args.json:
        print("Nothing is due for review.")
    return 0


def _andon_export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.andon_export import WRITERS, export_cards

    runtime = open_runtime(settings, load_index=False)
    with runtime.sessions() as session:
        cards = export_cards(session, runtime.clock.now())
    if not args.out:
        WRITERS[args.format](cards, sys.stdout)
        return 0
    try:
        with args.out.open("w", encoding="utf-8", newline="") as out:
            WRITERS[args.format](cards, out)
    except OSError as exc:
        print(f"learnbot: cannot write {args.out}: {exc}", file=sys.stderr)
        return 2
    questions = sum(card["questions_count"] for card in cards)
    print(f"andon export: {len(cards)} card(s), {questions} question(s) written to {args.out}")
    return 0


# -- imports ------------------------------------------------------------------------------------

def _report_errors(parsed: Parsed, path: Path) -> None:
    for line, message in parsed.errors:
        print(f"{path}:{line}: {message}", file=sys.stderr)


def _batches(rows: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start:start + BATCH]


def _checked(path: Path, parse: Callable[[Path], Parsed]) -> Parsed | None:
    """The file parsed, its bad lines reported; None (after one line saying why) if it cannot be read."""
    try:
        parsed = parse(path)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"learnbot: cannot read {path}: {exc}", file=sys.stderr)
        return None
    _report_errors(parsed, path)
    return parsed


def _user_id(value: str) -> str:
    if not is_user_id(value):
        raise argparse.ArgumentTypeError(f"expected a Slack user ID such as U012ABCDEF, got {value!r}")
    return value


def _import_content(settings: Settings, args: argparse.Namespace) -> int:
    parsed = _checked(args.file, parse_content)
    if parsed is None:
        return 2
    runtime = open_runtime(settings, load_index=False)
    totals = library.ImportCounts()
    show = progress_bar(len(parsed.rows), "importing") or (lambda done: None)
    done = 0
    for batch in _batches(parsed.rows):
        with runtime.sessions() as session:
            counts = library.import_items(session, [row.draft for row in batch], runtime.clock.now(),
                                          owner=args.owner)
            session.commit()
        for name in ("added", "updated", "unchanged"):
            setattr(totals, name, getattr(totals, name) + getattr(counts, name))
        done += len(batch)
        show(done)
    print(f"content: {totals.added} added, {totals.updated} updated, {totals.unchanged} unchanged, "
          f"{plural(len(parsed.errors), 'bad line')} skipped")
    return 1 if parsed.errors and not parsed.rows else 0


def _import_experts(settings: Settings, args: argparse.Namespace) -> int:
    parsed = _checked(args.file, parse_experts)
    if parsed is None:
        return 2
    runtime = open_runtime(settings, load_index=False)
    added = 0
    with runtime.sessions() as session:
        for row in parsed.rows:
            added += len(experts.add_topics(session, row.user_id, row.topics, runtime.clock.now(), "imported"))
        session.commit()
    people = len({row.user_id for row in parsed.rows})
    print(f"experts: {plural(added, 'topic')} added for {plural(people, 'person')}, "
          f"{plural(len(parsed.errors), 'bad line')} skipped")
    return 1 if parsed.errors and not parsed.rows else 0


def _teams_sync(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.team_sync import sync_usergroups

    runtime = open_runtime(settings, load_index=False)
    report = sync_usergroups(runtime.sessions, web_client(settings), runtime.clock.now())
    print(report.summary())
    return 1 if report.failed else 0


def _import_teams(settings: Settings, args: argparse.Namespace) -> int:
    from bot.team_import import import_teams

    return _import_structure(settings, args, parse_teams, import_teams, "teams")


def _import_competencies(settings: Settings, args: argparse.Namespace) -> int:
    from bot.team_import import import_competencies

    return _import_structure(settings, args, parse_competencies,
                             lambda session, rows, _now: import_competencies(session, rows), "competencies")


def _import_structure(settings: Settings, args: argparse.Namespace, parse: Callable[[Path], Parsed],
                      apply: Callable[[Any, list[Any], Any], Any], label: str) -> int:
    """Teams or the competency framework: apply the file's good lines, report every bad one (the file's, and
    those refused for what the database holds); 1 when nothing could be applied."""
    parsed = _checked(args.file, parse)
    if parsed is None:
        return 2
    runtime = open_runtime(settings, load_index=False)
    with runtime.sessions() as session:
        report = apply(session, parsed.rows, runtime.clock.now())
    _report_errors(Parsed(errors=report.errors), args.file)
    print(f"{label}: {report.summary(len(parsed.errors))}")
    return 1 if (parsed.errors or report.errors) and len(report.errors) == len(parsed.rows) else 0


def _import_synonyms(settings: Settings, args: argparse.Namespace) -> int:
    try:
        groups, errors = parse_synonyms(read_text(args.file).splitlines())
    except (OSError, UnicodeDecodeError) as exc:
        print(f"learnbot: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    for line, message in errors:
        print(f"{args.file}:{line}: {message}", file=sys.stderr)
    runtime = open_runtime(settings, load_index=False)
    with runtime.sessions() as session:
        added = library.add_synonyms(session, groups, runtime.clock.now())
        session.commit()
    print(f"synonyms: {plural(added, 'group')} added, {len(groups) - added} already known, "
          f"{plural(len(errors), 'bad line')} skipped")
    return 1 if errors and not groups else 0


def _import_slack_export(settings: Settings, args: argparse.Namespace) -> int:
    from bot import slack_export

    try:
        export = slack_export.read_export(args.file)
    except slack_export.BadExport as exc:
        print(f"learnbot: {exc}", file=sys.stderr)
        return 2
    runtime = open_runtime(settings, load_index=False)
    with runtime.sessions() as session:
        report = slack_export.import_export(session, export, runtime.clock.now())
    for error in report.errors:
        print(error, file=sys.stderr)
    print(report.summary())
    return 1 if report.errors and not report.threads else 0


# -- ask ----------------------------------------------------------------------------------------

def _ask(settings: Settings, args: argparse.Namespace) -> int:
    if args.limit < 1:
        print("learnbot: --limit must be at least 1", file=sys.stderr)
        return 2
    if args.as_user is not None and not is_user_id(args.as_user):
        print(f"learnbot: --as takes a Slack user id (like U0123ABC), not {args.as_user!r}", file=sys.stderr)
        return 2
    runtime = open_runtime(settings)
    audiences: Audiences = ALL_AUDIENCES
    if args.as_user is not None:
        with runtime.sessions() as session:
            audiences = teams.audiences_of(session, args.as_user)
    questions = [args.question] if args.question is not None else (line.rstrip("\n") for line in sys.stdin)
    for question in questions:
        result = runtime.index.search(question, limit=args.limit, explain=args.explain, audiences=audiences)
        described = describe(runtime, result)
        if args.json:
            print(json.dumps(described, ensure_ascii=False), flush=True)
        else:
            print(_as_text(described, result, args.explain), flush=True)
    return 0


def describe(runtime: Runtime, result: MatchResult) -> dict[str, Any]:
    """A routing result as plain JSON-able data with titles and texts looked up."""
    with runtime.sessions() as session:
        item_ids = [int(h.id) for h in result.content]
        items = {i.id: i for i in session.scalars(select(LibraryItem).where(LibraryItem.id.in_(item_ids)))}
        question_ids = [int(h.id) for h in result.similar_questions]
        texts = {qid: text for qid, text in
                 session.execute(select(Question.id, Question.text).where(Question.id.in_(question_ids)))}
    return {
        "question": result.query,
        "confident": result.confident,
        "content": [{"id": int(h.id), "title": items[int(h.id)].title, "url": items[int(h.id)].url,
                     "score": round(h.score, 1)} for h in result.content if int(h.id) in items],
        "experts": [{"user_id": str(h.id), "score": round(h.score, 1)} for h in result.experts],
        "similar_questions": [{"id": int(h.id), "text": texts.get(int(h.id), ""), "score": round(h.score, 1)}
                              for h in result.similar_questions],
    }


def _explained(hit: Hit) -> str:
    e = hit.explanation
    if e is None:
        return ""
    parts = ", ".join(f"{k}={v:.1f}" for k, v in e.parts.items())
    synonyms = ", ".join(f"{a}→{b}" for a, b in e.synonyms_used) or "none"
    return f"\n      terms: {', '.join(e.matched_terms) or 'none'}; synonyms: {synonyms}; {parts}"


def _as_text(described: dict[str, Any], result: MatchResult, explain: bool) -> str:
    verdict = "answer from the library" if described["confident"] else "ask a colleague"
    lines = [f"Q: {described['question']}", f"   → {verdict}"]
    sections = (("content", result.content, lambda d: f"#{d['id']} {d['title']}" + (f" <{d['url']}>" if d['url'] else "")),
                ("similar_questions", result.similar_questions, lambda d: f"#{d['id']} {d['text']}"),
                ("experts", result.experts, lambda d: d["user_id"]))
    for key, hits, label in sections:
        if described[key]:
            lines.append(f"   {key.replace('_', ' ')}:")
        for d, hit in zip(described[key], hits):
            lines.append(f"    {d['score']:5.1f}  {label(d)}" + (_explained(hit) if explain else ""))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
