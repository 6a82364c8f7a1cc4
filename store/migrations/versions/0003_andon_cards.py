"""andon cards

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from alembic import op
import sqlalchemy as sa
import store.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('andon_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', store.models.UTCDateTime(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=True),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=32), nullable=True),
    sa.Column('acknowledged_at', store.models.UTCDateTime(), nullable=True),
    sa.Column('assigned_to', sa.String(length=32), nullable=True),
    sa.Column('assigned_at', store.models.UTCDateTime(), nullable=True),
    sa.Column('snoozed_until', store.models.UTCDateTime(), nullable=True),
    sa.Column('resolved_by', sa.String(length=32), nullable=True),
    sa.Column('resolved_at', store.models.UTCDateTime(), nullable=True),
    sa.Column('resolved_item_id', sa.Integer(), nullable=True),
    sa.Column('kanban_at', store.models.UTCDateTime(), nullable=True),
    sa.Column('notified_at', store.models.UTCDateTime(), nullable=False),
    sa.Column('notify_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['resolved_item_id'], ['library_items.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('andon_cards', schema=None) as batch_op:
        batch_op.create_index('ix_andon_status', ['status', 'snoozed_until'], unique=False)

    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blocked_at', store.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('andon_card_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_questions_andon_card_id'), ['andon_card_id'], unique=False)
        batch_op.create_foreign_key('fk_questions_andon_card_id', 'andon_cards', ['andon_card_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_questions_andon_card_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_questions_andon_card_id'))
        batch_op.drop_column('andon_card_id')
        batch_op.drop_column('blocked_at')

    with op.batch_alter_table('andon_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_andon_status')

    op.drop_table('andon_cards')
