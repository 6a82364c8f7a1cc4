"""Persistence: typed models, engine and session factories, queries, Alembic migrations."""
