"""learning needs

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa
import store.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('learning_needs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('need', sa.String(length=500), nullable=False),
    sa.Column('owner_id', sa.String(length=32), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('planned_by', sa.String(length=32), nullable=False),
    sa.Column('planned_at', store.models.UTCDateTime(), nullable=False),
    sa.Column('shipped_at', store.models.UTCDateTime(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['card_id'], ['andon_cards.id'], ),
    sa.ForeignKeyConstraint(['item_id'], ['library_items.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('card_id')
    )
    with op.batch_alter_table('learning_needs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learning_needs_owner_id'), ['owner_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('learning_needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learning_needs_owner_id'))

    op.drop_table('learning_needs')
