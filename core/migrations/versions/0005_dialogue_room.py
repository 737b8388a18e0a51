"""dialogue room

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 17:39:26.229978

The dialogue room holds one discussion per proposal; comments written before it become that
discussion's first messages, in the order they were written, so there is one discussion and not two.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('room_destinations',
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('chat_id', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('platform', name=op.f('pk_room_destinations'))
    )
    op.create_table('room_threads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('proposal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_room_threads_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_threads')),
    sa.UniqueConstraint('key', name=op.f('uq_room_threads_key')),
    sa.UniqueConstraint('proposal_id', name=op.f('uq_room_threads_proposal_id'))
    )
    op.create_table('room_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('thread_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('reply_to_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('edited_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('hidden_at', sa.DateTime(), nullable=True),
    sa.Column('hidden_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_room_messages_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['reply_to_id'], ['room_messages.id'], name=op.f('fk_room_messages_reply_to_id_room_messages')),
    sa.ForeignKeyConstraint(['thread_id'], ['room_threads.id'], name=op.f('fk_room_messages_thread_id_room_threads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_messages')),
    sa.UniqueConstraint('thread_id', 'seq', name='uq_room_messages_thread_seq')
    )
    with op.batch_alter_table('room_messages', schema=None) as batch_op:
        batch_op.create_index('ix_room_messages_citizen_created', ['citizen_id', 'created_at'], unique=False)

    op.create_table('room_places',
    sa.Column('thread_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('chat_id', sa.String(length=100), nullable=False),
    sa.Column('place_ref', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['thread_id'], ['room_threads.id'], name=op.f('fk_room_places_thread_id_room_threads')),
    sa.PrimaryKeyConstraint('thread_id', 'platform', 'chat_id', name=op.f('pk_room_places'))
    )
    with op.batch_alter_table('room_places', schema=None) as batch_op:
        batch_op.create_index('ix_room_places_ref', ['platform', 'chat_id', 'place_ref'], unique=False)

    op.create_table('room_copies',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('chat_id', sa.String(length=100), nullable=False),
    sa.Column('part', sa.Integer(), nullable=False),
    sa.Column('platform_message_id', sa.String(length=100), nullable=True),
    sa.Column('origin', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['room_messages.id'], name=op.f('fk_room_copies_message_id_room_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_copies')),
    sa.UniqueConstraint('message_id', 'platform', 'chat_id', 'part', name='uq_room_copies_message_place_part'),
    sa.UniqueConstraint('platform', 'chat_id', 'platform_message_id', name='uq_room_copies_platform_message')
    )
    with op.batch_alter_table('room_copies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_copies_message_id'), ['message_id'], unique=False)

    op.create_table('room_reports',
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('citizen_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_room_reports_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['message_id'], ['room_messages.id'],
                            name=op.f('fk_room_reports_message_id_room_messages')),
    sa.PrimaryKeyConstraint('message_id', 'citizen_id', name=op.f('pk_room_reports'))
    )
    op.create_table('moderation_acts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('actor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('act', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['citizens.id'], name=op.f('fk_moderation_acts_actor_id_citizens')),
    sa.ForeignKeyConstraint(['message_id'], ['room_messages.id'],
                            name=op.f('fk_moderation_acts_message_id_room_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_acts'))
    )
    with op.batch_alter_table('moderation_acts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moderation_acts_message_id'), ['message_id'], unique=False)

    op.execute(
        "INSERT INTO room_threads (key, proposal_id, last_seq, created_at) "
        "SELECT 'p' || proposal_id, proposal_id, COUNT(*), MIN(created_at) FROM comments GROUP BY proposal_id"
    )
    op.execute(
        "INSERT INTO room_messages (thread_id, seq, citizen_id, origin, body, created_at, hidden_at) "
        "SELECT t.id, ROW_NUMBER() OVER (PARTITION BY c.proposal_id ORDER BY c.created_at, c.id), c.citizen_id, "
        "c.platform, c.body, c.created_at, CASE WHEN c.hidden THEN c.created_at END "
        "FROM comments c JOIN room_threads t ON t.proposal_id = c.proposal_id"
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comments_proposal_id'))

    op.drop_table('comments')


def downgrade() -> None:
    op.create_table('comments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('proposal_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('citizen_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_comments_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_comments_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comments_proposal_id'), ['proposal_id'], unique=False)
    # A proposal's discussion goes back to comments; the Lobby has no place there.
    op.execute(
        "INSERT INTO comments (proposal_id, citizen_id, body, platform, hidden, created_at) "
        "SELECT t.proposal_id, m.citizen_id, m.body, m.origin, m.hidden_at IS NOT NULL, m.created_at "
        "FROM room_messages m JOIN room_threads t ON t.id = m.thread_id "
        "WHERE t.proposal_id IS NOT NULL AND m.deleted_at IS NULL ORDER BY t.proposal_id, m.seq"
    )

    with op.batch_alter_table('moderation_acts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moderation_acts_message_id'))

    op.drop_table('moderation_acts')
    op.drop_table('room_reports')
    with op.batch_alter_table('room_copies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_room_copies_message_id'))

    op.drop_table('room_copies')
    with op.batch_alter_table('room_places', schema=None) as batch_op:
        batch_op.drop_index('ix_room_places_ref')

    op.drop_table('room_places')
    with op.batch_alter_table('room_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_room_messages_citizen_created')

    op.drop_table('room_messages')
    op.drop_table('room_threads')
    op.drop_table('room_destinations')
