"""Learnbot: pull learning in Slack. The core use cases and the composition root."""
