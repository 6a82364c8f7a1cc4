"""Every id Slack sends back to a listener: written once, read by the Block Kit builder and the listener.

The values are stored in messages already posted in real workspaces: never change them.
"""

from __future__ import annotations

LEARN = "/learn"  # the slash command

# Buttons on the asker's replies and DMs
ITEM_ANSWERED = "item_answered"
ASK_COLLEAGUE = "ask_colleague"
PULL_CORD = "pull_cord"
ACCEPT_ANSWER = "accept_answer"
STILL_STUCK = "still_stuck"
OPEN_REFLECTION = "open_reflection"
FLAG_OUTDATED = "flag_outdated"  # on each offered item: the button and the modal it opens (its reason: INPUT)

# Buttons on a verifier's DMs about their items; the users menu sits in the block `review:<item id>`
ITEM_VERIFY = "item_verify"
ITEM_EDIT = "item_edit"  # the button and the modal it opens
ITEM_OBSOLETE = "item_obsolete"
ITEM_REASSIGN = "item_reassign"
REVIEW_BLOCK = "review"

# Buttons on the help-channel post
CLAIM_QUESTION = "claim_question"
DECLINE_QUESTION = "decline_question"

# The andon card: its buttons, the users menu in the block `andon:<card id>`, the resolve modal
ANDON_ACK = "andon_ack"
ANDON_ASSIGN = "andon_assign"
ANDON_SNOOZE_DAY = "andon_snooze_1d"  # one id per button: Slack refuses a block repeating one
ANDON_SNOOZE_WEEK = "andon_snooze_1w"
ANDON_RESOLVE = "andon_resolve"  # the button and the modal it opens
ANDON_BLOCK = "andon"
ANDON_PLAN_COURSE = "andon_plan_course"  # the button and the modal it opens
ANDON_QUESTIONS = "andon_questions"  # "See all N questions", and the page buttons in its modal
COURSE_SHIPPED = "course_shipped"  # on the course owner's DM: opens the resolve modal

# The asker's DM when their card is resolved: did the content help?
ANDON_HELPED = "andon_helped"
ANDON_NOT_HELPED = "andon_not_helped"

# The Home tab
HOME_ADD_TOPICS = "home_add_topics"  # the button and the modal it opens
HOME_REMOVE_TOPIC = "home_remove_topic"

# Mini learning factories: publishing for a team, and share requests (bot/sharing.py)
PUBLISH = "publish"  # the Home button and the modal it opens (like `/learn publish`)
SHARE_REQUEST = "share_request"  # "Request to share with…" on an item, and the modal it opens
SHARE_APPROVE = "share_approve"  # on an approver's DM
SHARE_DECLINE = "share_decline"  # on an approver's DM, and the modal asking why
SHARE_SEND = "share_send"  # on a drafted request's DM: send it to the approvers
SHARE_NOT_NOW = "share_not_now"  # on a drafted request's DM: dismiss it for a while

# Modals and the message shortcut
REFLECTION = "reflection"  # the modal and its one input block
REASON = "reason"
REVIEW_DAYS = "review_days"
REVIEW_ON = "review_on"  # a datepicker (action id INPUT)
SAVE_TO_LIBRARY = "save_to_library"  # the message shortcut and the modal it opens

# Input blocks read on submission (each holds one plain_text_input with the action id INPUT)
INPUT = "value"
TITLE = "title"
URL = "url"
SUMMARY = "summary"
BODY = "body"
TAGS = "tags"
TOPICS = "topics"
NEED = "need"
OWNER = "owner"  # a users_select (action id INPUT)
DUE = "due"  # a datepicker (action id INPUT)

# Learning paths
PATH_NEW = "path_new"  # "New learning path" on App Home, and the path modal (its steps: PATH_STEPS)
PATH_FOR_NEED = "path_for_need"  # "Publish a path" on a course owner's DM: the path modal for that card
PATH_DONE = "path_done"  # "Done" on the next step of a path (value: the step id)
PATH_REFLECT = "path_reflect"  # the reflection modal after Done, and its one input block
PATH_START = "path_start"  # "Start this path" on an andon asker's DM (value: the path id)
PATH_STEPS = "path_steps"
PATH_TEAM = "path_team"  # a static_select (action id INPUT), or a text input past 100 teams
PATH_COMPETENCY = "path_competency"

# Publishing and sharing
COMPETENCY = "competency"  # an external_select (action id INPUT); its options come from app.options
AUDIENCE = "audience"  # the teams one may publish for (action id INPUT): a static_select, or an external_select
TARGET = "target"  # a static_select of where to share an item (action id INPUT)
NOTE = "note"
