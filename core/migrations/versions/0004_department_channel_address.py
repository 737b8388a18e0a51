"""department channel address

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A department's channel is an address on any surface (platform, channel id), not a Slack column.
    # Rows written before this revision came from the departments file's `slack_channel` key.
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.alter_column('slack_channel', new_column_name='channel_id',
                              existing_type=sa.String(length=100), existing_nullable=True)
        batch_op.add_column(sa.Column('channel_platform', sa.String(length=20), nullable=True))
    op.execute("UPDATE departments SET channel_platform = 'slack' WHERE channel_id IS NOT NULL")


def downgrade() -> None:
    op.execute("UPDATE departments SET channel_id = NULL WHERE channel_platform <> 'slack'")
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_column('channel_platform')
        batch_op.alter_column('channel_id', new_column_name='slack_channel',
                              existing_type=sa.String(length=100), existing_nullable=True)
