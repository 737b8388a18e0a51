"""outbox claims marked with their live process, and send slots shared by the processes of one bot

SQLite processes beat in outbox_instances; PostgreSQL ones hold an advisory lock (core/instances.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'outbox_instances',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('heartbeat_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_instances')),
    )
    op.add_column('outbox', sa.Column('claimed_by', sa.String(length=40), nullable=True))
    op.create_table(
        'send_slots',
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('next_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_send_slots')),
    )


def downgrade() -> None:
    op.drop_table('send_slots')
    op.drop_column('outbox', 'claimed_by')
    op.drop_table('outbox_instances')
