"""inbox pruning index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 15:10:00
"""

from __future__ import annotations

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Events older than OASIS_INBOX_DAYS are deleted by age: find them without reading the whole table.
    op.create_index('ix_inbox_received_at', 'inbox', ['received_at'])


def downgrade() -> None:
    op.drop_index('ix_inbox_received_at', table_name='inbox')
