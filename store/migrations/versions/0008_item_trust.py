"""item trust: owner (verifier), verification, review interval or date, state, archiving notice

Existing items keep their content; their owner is unknown (NULL: the learning managers verify them),
they are unverified, reviewed every 90 days from their creation, and active.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa
import store.models


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('library_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('verified_at', store.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('verified_by', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('unverified_at', store.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('review_days', sa.Integer(), server_default='90', nullable=False))
        batch_op.add_column(sa.Column('review_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('state', sa.String(length=20), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('archive_at', store.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('review_due_at', store.models.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_library_items_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_library_items_review_due_at'), ['review_due_at'], unique=False)
    # every existing item is unverified with the default interval: due 90 days after it was created
    due = ("datetime(created_at, '+90 days')" if op.get_bind().dialect.name == "sqlite"
           else "created_at + interval '90 days'")
    op.execute(f"UPDATE library_items SET review_due_at = {due}")


def downgrade() -> None:
    with op.batch_alter_table('library_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_library_items_review_due_at'))
        batch_op.drop_index(batch_op.f('ix_library_items_owner_id'))
        for column in ('review_due_at', 'archive_at', 'state', 'review_on', 'review_days', 'unverified_at', 'verified_by', 'verified_at', 'owner_id'):
            batch_op.drop_column(column)
