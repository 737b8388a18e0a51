"""themed calls (공모) and announcement subscriptions

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 21:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'calls',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('department_code', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('opens_at', sa.DateTime(), nullable=False),
        sa.Column('closes_at', sa.DateTime(), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('created_by', ID, nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['department_code'], ['departments.code'],
                                name=op.f('fk_calls_department_code_departments')),
        sa.ForeignKeyConstraint(['created_by'], ['citizens.id'], name=op.f('fk_calls_created_by_citizens')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calls')),
    )
    op.create_table(
        'subscriptions',
        sa.Column('citizen_id', ID, nullable=False),
        sa.Column('topic', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_subscriptions_citizen_id_citizens')),
        sa.PrimaryKeyConstraint('citizen_id', 'topic', name=op.f('pk_subscriptions')),
    )
    op.create_index(op.f('ix_subscriptions_topic'), 'subscriptions', ['topic'], unique=False)
    op.add_column('proposals', sa.Column('call_id', ID, nullable=True))
    op.create_index(op.f('ix_proposals_call_id'), 'proposals', ['call_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_proposals_call_id'), table_name='proposals')
    op.drop_column('proposals', 'call_id')
    op.drop_index(op.f('ix_subscriptions_topic'), table_name='subscriptions')
    op.drop_table('subscriptions')
    op.drop_table('calls')
