"""colleagues and answers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

import hashlib

from alembic import op
import sqlalchemy as sa
import store.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('expert_declines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', store.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('question_id', 'user_id')
    )
    with op.batch_alter_table('expert_declines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_declines_user_id'), ['user_id'], unique=False)

    op.create_table('reflections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('created_at', store.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('question_id', 'user_id')
    )
    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reflections_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answers_message_ts'), ['message_ts'], unique=False)

    with op.batch_alter_table('expert_pings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=20), nullable=False, server_default='routed'))
        batch_op.drop_index(batch_op.f('ix_expert_pings_user_id'))
        batch_op.create_index('ix_pings_user_time', ['user_id', 'pinged_at'], unique=False)

    _hash_item_keys()
    with op.batch_alter_table('library_items', schema=None) as batch_op:
        batch_op.alter_column('key',
               existing_type=sa.VARCHAR(length=600),
               type_=sa.String(length=64),
               existing_nullable=False)

    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), nullable=False, server_default='slack'))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', store.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('nudged_at', store.models.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_questions_thread_ts'), ['thread_ts'], unique=False)



def _hash_item_keys() -> None:
    """Keys become sha256 of the natural key ("url:..." / "title:..."), so any url length fits."""
    connection = op.get_bind()
    items = sa.table("library_items", sa.column("id", sa.Integer), sa.column("key", sa.String))
    for item_id, key in connection.execute(sa.select(items.c.id, items.c.key)).all():
        hashed = hashlib.sha256(key.encode("utf-8")).hexdigest()
        connection.execute(items.update().where(items.c.id == item_id).values(key=hashed))


def downgrade() -> None:
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_thread_ts'))
        batch_op.drop_column('nudged_at')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('source')

    with op.batch_alter_table('library_items', schema=None) as batch_op:
        batch_op.alter_column('key',
               existing_type=sa.String(length=64),
               type_=sa.VARCHAR(length=600),
               existing_nullable=False)

    with op.batch_alter_table('expert_pings', schema=None) as batch_op:
        batch_op.drop_index('ix_pings_user_time')
        batch_op.create_index(batch_op.f('ix_expert_pings_user_id'), ['user_id'], unique=False)
        batch_op.drop_column('reason')

    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answers_message_ts'))

    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reflections_created_at'))

    op.drop_table('reflections')
    with op.batch_alter_table('expert_declines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_declines_user_id'))

    op.drop_table('expert_declines')
