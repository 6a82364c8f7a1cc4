"""bot/importing.py: content (CSV, JSON Lines) and experts (CSV) files, bad rows reported by line."""

from __future__ import annotations

import json
from pathlib import Path

from bot.importing import (CompetencyRow, ContentRow, ExpertRow, TeamRow, parse_competencies, parse_content,
                           parse_experts, parse_teams)
from bot.library import Draft
from store.models import TeamRole


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_content_csv_with_header(tmp_path: Path) -> None:
    path = write(tmp_path, "library.csv", (
        "Title,URL,Body,Tags\n"
        "Resetting your VPN password,https://intranet.example.com/vpn,Open the portal.,vpn; password\n"
        "Office Wi-Fi,,Pick CORP-SECURE.,\"wifi, network\"\n"
    ))

    parsed = parse_content(path)

    assert parsed.errors == []
    assert parsed.rows == [
        ContentRow(2, Draft("Resetting your VPN password", "https://intranet.example.com/vpn", "Open the portal.",
                            ("vpn", "password"))),
        ContentRow(3, Draft("Office Wi-Fi", None, "Pick CORP-SECURE.", ("wifi", "network"))),
    ]


def test_content_csv_with_bom_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "library.csv"
    path.write_bytes("\ufefftitle,url\n\nExpenses,https://x.example.com/e\n".encode())

    parsed = parse_content(path)

    assert [(r.line, r.draft.title, r.draft.url) for r in parsed.rows] == [(3, "Expenses", "https://x.example.com/e")]
    assert parsed.errors == []


def test_content_csv_bad_rows_are_reported_by_line_and_good_rows_kept(tmp_path: Path) -> None:
    path = write(tmp_path, "library.csv", (
        "title,url,body,tags\n"            # 1
        "Good one,https://a.example.com,,\n"  # 2
        ",https://b.example.com,no title,\n"  # 3
        "Bad url,ftp://files.example.com,,\n"  # 4
        "Bad url too,javascript:alert(1),,\n"  # 5
        "Good two,,body,a;b,c\n"           # 6
        f"{'x' * 501},,,\n"                # 7
    ))

    parsed = parse_content(path)

    assert [(r.line, r.draft.title) for r in parsed.rows] == [(2, "Good one"), (6, "Good two")]
    assert parsed.errors == [
        (3, "missing title"),
        (4, "url must start with http:// or https://"),
        (5, "url must start with http:// or https://"),
        (7, "title longer than 500 characters"),
    ]


def test_tags_split_on_commas_and_semicolons(tmp_path: Path) -> None:
    path = write(tmp_path, "library.csv", 'title,tags\nT,"vpn; remote access, password ;; ,sso"\n')

    assert parse_content(path).rows[0].draft.tags == ("vpn", "remote access", "password", "sso")


def test_quoted_csv_fields_with_commas_and_newlines_keep_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "library.csv", (
        "title,url,body\n"                                   # 1
        '"Expenses, receipts and claims",,"Step one,\n'      # 2
        'step two,\n'                                        # 3
        'step three"\n'                                      # 4
        ',https://nothing.example.com,"orphan body\n'        # 5: missing title, spans 5-6
        'second line"\n'                                     # 6
        '"Wi-Fi",https://wifi.example.com,plain\n'           # 7
    ))

    parsed = parse_content(path)

    assert [(r.line, r.draft.title) for r in parsed.rows] == [(2, "Expenses, receipts and claims"), (7, "Wi-Fi")]
    assert parsed.rows[0].draft.body == "Step one,\nstep two,\nstep three"
    assert parsed.errors == [(5, "missing title")]


def test_content_json_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"title": "VPN", "url": "https://vpn.example.com", "body": "Reset it.", "tags": ["vpn", "sso"]}),
        "",
        json.dumps({"title": "Wi-Fi", "tags": "wifi; network"}),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"url": "https://untitled.example.com"}),
        json.dumps({"title": "Bad link", "url": "www.example.com"}),
        json.dumps("just a string"),
        json.dumps({"title": "Last"}),
    ]
    path = write(tmp_path, "library.jsonl", "\n".join(lines) + "\n")

    parsed = parse_content(path)

    assert parsed.rows == [
        ContentRow(1, Draft("VPN", "https://vpn.example.com", "Reset it.", ("vpn", "sso"))),
        ContentRow(3, Draft("Wi-Fi", None, "", ("wifi", "network"))),
        ContentRow(9, Draft("Last", None, "", ())),
    ]
    assert [line for line, _ in parsed.errors] == [4, 5, 6, 7, 8]
    messages = dict(parsed.errors)
    assert messages[4].startswith("not valid JSON")
    assert messages[5] == "expected a JSON object"
    assert messages[6] == "missing title"
    assert messages[7] == "url must start with http:// or https://"
    assert messages[8] == "expected a JSON object"


def test_json_lines_with_unicode_line_separators_inside_strings(tmp_path: Path) -> None:
    """U+2028 and friends are legal unescaped in JSON strings; only `\\n` ends a JSON Lines record."""
    lines = [
        json.dumps({"title": "Copied from a web page", "body": "one\u2028two\x85three"}, ensure_ascii=False),
        json.dumps({"title": "Second"}),
    ]
    path = write(tmp_path, "library.jsonl", "\n".join(lines) + "\n")

    parsed = parse_content(path)

    assert parsed.errors == []
    assert [(r.line, r.draft.title) for r in parsed.rows] == [(1, "Copied from a web page"), (2, "Second")]


def test_experts_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "experts.csv", (
        "user_id,topics\n"                   # 1
        'U012ALICE,"vpn, wifi; sso"\n'       # 2  quoted topics
        "W0BOB,expenses,travel,receipts\n"   # 3  unquoted extra columns are topics too
        "bob,vpn\n"                          # 4  not a user id
        "U0CAROL,\n"                         # 5  no topics
        "u0lower,vpn\n"                      # 6  lower-case: not a user id
        "U0-DASH,vpn\n"                      # 7
        ",vpn\n"                             # 8  missing user id
        " U0DAVE , onboarding \n"            # 9  spaces trimmed
    ))

    parsed = parse_experts(path)

    assert parsed.rows == [
        ExpertRow(2, "U012ALICE", ("vpn", "wifi", "sso")),
        ExpertRow(3, "W0BOB", ("expenses", "travel", "receipts")),
        ExpertRow(9, "U0DAVE", ("onboarding",)),
    ]
    assert [line for line, _ in parsed.errors] == [4, 5, 6, 7, 8]
    messages = dict(parsed.errors)
    assert "user_id must be a Slack user ID" in messages[4] and "'bob'" in messages[4]
    assert messages[5] == "no topics"
    assert "'u0lower'" in messages[6]
    assert "'U0-DASH'" in messages[7]
    assert "''" in messages[8]


def test_experts_csv_with_multiline_quoted_topics(tmp_path: Path) -> None:
    path = write(tmp_path, "experts.csv", (
        "user_id,topics\n"
        'U0ALICE,"vpn,\nwifi"\n'
        "nobody,vpn\n"
    ))

    parsed = parse_experts(path)

    assert parsed.rows == [ExpertRow(2, "U0ALICE", ("vpn", "wifi"))]
    assert parsed.errors[0][0] == 4


# -- teams and competencies ---------------------------------------------------------------------

def test_teams_csv_roles_parents_and_a_usergroup(tmp_path: Path) -> None:
    path = write(tmp_path, "teams.csv", (
        "team,user_id,role,parent,usergroup\n"
        "Support,U0SAM,Supervisor,Customer,S0SUPPORT\n"
        "Support,U0ALICE,,Customer,\n"
        "Sales,U0ALICE,member,,\n"
    ))

    parsed = parse_teams(path)

    assert parsed.errors == []
    assert parsed.rows == [
        TeamRow(2, "Support", "U0SAM", TeamRole.SUPERVISOR, "Customer", "S0SUPPORT"),
        TeamRow(3, "Support", "U0ALICE", TeamRole.MEMBER, "Customer"),
        TeamRow(4, "Sales", "U0ALICE", TeamRole.MEMBER, None),
    ]


def test_teams_bad_lines_are_reported_by_line(tmp_path: Path) -> None:
    path = write(tmp_path, "teams.csv", (
        "team,user_id,role,parent,usergroup\n"  # 1
        ",U0ALICE,,,\n"                         # 2 missing team
        "Support,alice,,,\n"                    # 3 bad user id
        "Support,U0ALICE,boss,,\n"              # 4 unknown role
        "Support,U0ALICE,,Support,\n"           # 5 its own parent
        "A,U0ALICE,,B,\n"                       # 6 good
        "B,U0BOB,,A,\n"                         # 7 a cycle
        "A,U0BOB,,C,\n"                         # 8 a second parent
        "C,U0BOB,,,#ops\n"                      # 9 bad usergroup
    ))

    parsed = parse_teams(path)

    assert [r.line for r in parsed.rows] == [6]
    assert [line for line, _ in parsed.errors] == [2, 3, 4, 5, 7, 8, 9]
    messages = dict(parsed.errors)
    assert messages[2] == "missing team"
    assert messages[3].startswith("user_id must be a Slack user ID")
    assert messages[4] == "role must be member or supervisor, got 'boss'"
    assert messages[5] == "parent 'Support' would put team 'Support' under itself"
    assert messages[7] == "parent 'A' would put team 'B' under itself"
    assert messages[8] == "team 'A' has two parents: 'B' and 'C'"
    assert messages[9].startswith("usergroup must be a Slack user group ID")


def test_competencies_csv_and_bad_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "competencies.csv", (
        "id,name,parent\n"    # 1
        "it,IT basics,\n"     # 2
        "vpn,Remote access,it\n"  # 3
        ",No id,\n"           # 4
        "x,,\n"               # 5
        "it,Again,\n"         # 6
        "a,A,b\n"             # 7
        "b,B,a\n"             # 8 a cycle
        "c,C,c\n"             # 9 its own parent
    ))

    parsed = parse_competencies(path)

    assert parsed.rows == [CompetencyRow(2, "it", "IT basics", None), CompetencyRow(3, "vpn", "Remote access", "it"),
                           CompetencyRow(7, "a", "A", "b")]
    assert parsed.errors == [(4, "missing id"), (5, "missing name"), (6, "competency 'it' is given twice"),
                             (8, "parent 'a' would put competency 'b' under itself"),
                             (9, "parent 'c' would put competency 'c' under itself")]


def test_competencies_json_lines_and_a_json_array_with_line_numbers(tmp_path: Path) -> None:
    lines = write(tmp_path, "c.jsonl",
                  '{"id": "it", "name": "IT"}\n[1]\n{"id": "vpn", "name": "VPN", "parent": "it"}\n')
    array = write(tmp_path, "c.json", '[\n  {"id": "it", "name": "IT"},\n  "x",\n  {"id": "vpn", "name": "VPN",\n'
                                      '   "parent": "it"}\n]\n')
    broken = write(tmp_path, "broken.json", '[\n  {"id": "it", "name": "IT"}\n  {"id": "vpn"}\n]\n')

    assert [(r.line, r.id, r.parent) for r in parse_competencies(lines).rows] == [(1, "it", None), (3, "vpn", "it")]
    parsed = parse_competencies(array)
    assert [(r.line, r.id, r.parent) for r in parsed.rows] == [(2, "it", None), (4, "vpn", "it")]
    assert parsed.errors == [(3, "expected a JSON object")]
    parsed = parse_competencies(broken)
    assert [r.id for r in parsed.rows] == ["it"]
    assert parsed.errors == [(3, "not valid JSON (expected ',' or ']')")]
    assert parse_competencies(write(tmp_path, "empty.json", " [ ] ")).rows == []


def test_content_json_array_and_json_lines_in_a_json_file(tmp_path: Path) -> None:
    array = write(tmp_path, "a.json", json.dumps([{"title": "VPN"}, {"title": "Wi-Fi"}], indent=1))
    lines = write(tmp_path, "b.json", '{"title": "VPN"}\n{"title": "Wi-Fi"}\n')

    assert [r.draft.title for r in parse_content(array).rows] == ["VPN", "Wi-Fi"]
    assert [(r.line, r.draft.title) for r in parse_content(lines).rows] == [(1, "VPN"), (2, "Wi-Fi")]
