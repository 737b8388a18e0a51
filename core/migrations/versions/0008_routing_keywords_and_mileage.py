"""routing keywords per department, and the mileage ledger

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('departments', sa.Column('keywords', sa.JSON(), nullable=True))
    op.create_table(
        'mileage_entries',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('citizen_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('act', sa.String(length=100), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_mileage_entries_citizen_id_citizens')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mileage_entries')),
        sa.UniqueConstraint('citizen_id', 'act', name='uq_mileage_entries_citizen_act'),
    )
    op.create_index(op.f('ix_mileage_entries_citizen_id'), 'mileage_entries', ['citizen_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_mileage_entries_citizen_id'), table_name='mileage_entries')
    op.drop_table('mileage_entries')
    op.drop_column('departments', 'keywords')
