"""the web chat: a secret kept across restarts (signs web sessions) and the notices kept for web people

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 01:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'app_secrets',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_app_secrets')),
    )
    op.create_table(
        'web_messages',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('chat_id', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('read_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_web_messages')),
    )
    op.create_index('ix_web_messages_chat_id', 'web_messages', ['chat_id', 'id'])


def downgrade() -> None:
    op.drop_index('ix_web_messages_chat_id', table_name='web_messages')
    op.drop_table('web_messages')
    op.drop_table('app_secrets')
