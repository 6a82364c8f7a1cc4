"""teams, roles, competencies, share requests, learning paths (the mini learning factories)

Existing items keep their content and stay visible to everyone (audience NULL: the organisation);
existing questions have no team (asked before teams existed).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa
import store.models


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('competencies',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['competencies.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('role_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('granted_by', sa.String(length=32), nullable=True),
    sa.Column('granted_at', store.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'role')
    )
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_grants_user_id'), ['user_id'], unique=False)

    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('usergroup_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', store.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['teams.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sa.UniqueConstraint('usergroup_id')
    )
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teams_parent_id'), ['parent_id'], unique=False)

    op.create_table('learning_paths',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('competency_id', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', store.models.UTCDateTime(), nullable=False),
    sa.Column('published_at', store.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['competency_id'], ['competencies.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('team_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('created_at', store.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'user_id')
    )
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_members_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_team_members_user_id'), ['user_id'], unique=False)

    op.create_table('path_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by', sa.String(length=32), nullable=False),
    sa.Column('assigned_at', store.models.UTCDateTime(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['path_id'], ['learning_paths.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('path_id', 'team_id')
    )
    with op.batch_alter_table('path_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_path_assignments_path_id'), ['path_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_path_assignments_team_id'), ['team_id'], unique=False)

    op.create_table('path_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['library_items.id'], ),
    sa.ForeignKeyConstraint(['path_id'], ['learning_paths.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('path_id', 'position')
    )
    with op.batch_alter_table('path_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_path_steps_path_id'), ['path_id'], unique=False)

    op.create_table('share_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.String(length=32), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('created_at', store.models.UTCDateTime(), nullable=False),
    sa.Column('deadline_at', store.models.UTCDateTime(), nullable=True),
    sa.Column('reminded_at', store.models.UTCDateTime(), nullable=True),
    sa.Column('decided_by', sa.String(length=32), nullable=True),
    sa.Column('decided_at', store.models.UTCDateTime(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['library_items.id'], ),
    sa.ForeignKeyConstraint(['target_id'], ['teams.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('share_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_requests_item_id'), ['item_id'], unique=False)
        batch_op.create_index('ix_share_requests_status_deadline', ['status', 'deadline_at'], unique=False)

    op.create_table('path_enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('started_at', store.models.UTCDateTime(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['path_id'], ['learning_paths.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('path_id', 'user_id')
    )
    with op.batch_alter_table('path_enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_path_enrolments_path_id'), ['path_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_path_enrolments_user_id'), ['user_id'], unique=False)

    op.create_table('step_completions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('done_at', store.models.UTCDateTime(), nullable=False),
    sa.Column('reflection', sa.String(length=500), nullable=True),
    sa.Column('reflected_at', store.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['step_id'], ['path_steps.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('step_id', 'user_id')
    )
    with op.batch_alter_table('step_completions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_step_completions_step_id'), ['step_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_step_completions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('learning_needs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('path_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_learning_needs_path_id', 'learning_paths', ['path_id'], ['id'])

    with op.batch_alter_table('library_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('competency_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_library_items_audience_id'), ['audience_id'], unique=False)
        batch_op.create_foreign_key('fk_library_items_audience_id', 'teams', ['audience_id'], ['id'])
        batch_op.create_foreign_key('fk_library_items_competency_id', 'competencies', ['competency_id'], ['id'])

    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_questions_team_id'), ['team_id'], unique=False)
        batch_op.create_foreign_key('fk_questions_team_id', 'teams', ['team_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_questions_team_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_questions_team_id'))
        batch_op.drop_column('team_id')

    with op.batch_alter_table('library_items', schema=None) as batch_op:
        batch_op.drop_constraint('fk_library_items_competency_id', type_='foreignkey')
        batch_op.drop_constraint('fk_library_items_audience_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_library_items_audience_id'))
        batch_op.drop_column('competency_id')
        batch_op.drop_column('audience_id')

    with op.batch_alter_table('learning_needs', schema=None) as batch_op:
        batch_op.drop_constraint('fk_learning_needs_path_id', type_='foreignkey')
        batch_op.drop_column('path_id')

    with op.batch_alter_table('step_completions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_step_completions_user_id'))
        batch_op.drop_index(batch_op.f('ix_step_completions_step_id'))

    op.drop_table('step_completions')
    with op.batch_alter_table('path_enrolments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_path_enrolments_user_id'))
        batch_op.drop_index(batch_op.f('ix_path_enrolments_path_id'))

    op.drop_table('path_enrolments')
    with op.batch_alter_table('share_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_share_requests_status_deadline')
        batch_op.drop_index(batch_op.f('ix_share_requests_item_id'))

    op.drop_table('share_requests')
    with op.batch_alter_table('path_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_path_steps_path_id'))

    op.drop_table('path_steps')
    with op.batch_alter_table('path_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_path_assignments_team_id'))
        batch_op.drop_index(batch_op.f('ix_path_assignments_path_id'))

    op.drop_table('path_assignments')
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_team_members_team_id'))

    op.drop_table('team_members')
    op.drop_table('learning_paths')
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teams_parent_id'))

    op.drop_table('teams')
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_grants_user_id'))

    op.drop_table('role_grants')
    op.drop_table('competencies')
