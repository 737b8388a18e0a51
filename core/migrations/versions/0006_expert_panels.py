"""expert panels: evaluations, the panel's deadline, a decision's details

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 20:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'panel_evaluations',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('proposal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('panel', sa.String(length=20), nullable=False),
        sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('necessity', sa.Integer(), nullable=False),
        sa.Column('effectiveness', sa.Integer(), nullable=False),
        sa.Column('feasibility', sa.Integer(), nullable=False),
        sa.Column('budget_fit', sa.Integer(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['citizens.id'], name=op.f('fk_panel_evaluations_member_id_citizens')),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'],
                                name=op.f('fk_panel_evaluations_proposal_id_proposals')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_evaluations')),
        sa.UniqueConstraint('proposal_id', 'member_id', name='uq_panel_evaluations_proposal_member'),
    )
    # Plain ALTER TABLE: a batch copy of `proposals` would trip the foreign keys that point at it.
    op.add_column('proposals', sa.Column('panel_deadline', sa.DateTime(), nullable=True))
    op.add_column('status_events', sa.Column('details', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('status_events', 'details')
    op.drop_column('proposals', 'panel_deadline')
    op.drop_table('panel_evaluations')
