"""search terms: Hangul bigrams and lower-case words of each proposal, for the board's search

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 13:00:00

`search_terms` (core/search.py) holds the terms of every proposal's title and description; an index on
(term, proposal_id) answers a search on SQLite and PostgreSQL alike, two-syllable Korean words included.
Existing proposals are indexed here, in batches. Also an index of the proposals by `status_changed_at`
for the board's "recently decided" order (on PostgreSQL of the decided ones only). Neither rebuilds the proposals table (its triggers stay, see 0011).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.search import term_pairs

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
BATCH = 2000
DECIDED_SQL = "status IN ('adopted', 'rejected', 'implementing', 'implemented')"


def upgrade() -> None:
    op.create_table(
        'search_terms',
        sa.Column('proposal_id', ID, autoincrement=False, nullable=False),
        sa.Column('term', sa.String(40).with_variant(sa.String(40, collation='C'), 'postgresql'), nullable=False),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_search_terms_proposal_id_proposals'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('proposal_id', 'term', name=op.f('pk_search_terms')),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_search_terms_term', 'search_terms', ['term', 'proposal_id'], unique=False)
    op.create_index('ix_proposals_decided', 'proposals', ['status_changed_at'], unique=False,
                    postgresql_where=sa.text(DECIDED_SQL))
    _backfill()


def _backfill() -> None:
    """Index the proposals that exist, a batch of ids at a time (bounded memory however many there are)."""
    connection = op.get_bind()
    proposals = sa.table('proposals', sa.column('id', ID), sa.column('title', sa.String),
                         sa.column('description', sa.Text))
    terms = sa.table('search_terms', sa.column('proposal_id', ID), sa.column('term', sa.String))
    last = 0
    while True:
        rows = connection.execute(sa.select(proposals.c.id, proposals.c.title, proposals.c.description)
                                  .where(proposals.c.id > last).order_by(proposals.c.id).limit(BATCH)).all()
        if not rows:
            return
        pairs = [{'proposal_id': pid, 'term': term}
                 for pid, term in term_pairs((int(i), t or '', d or '') for i, t, d in rows)]
        if pairs:
            connection.execute(sa.insert(terms), pairs)
        last = int(rows[-1][0])


def downgrade() -> None:
    op.drop_index('ix_proposals_decided', table_name='proposals')
    op.drop_index('ix_search_terms_term', table_name='search_terms')
    op.drop_table('search_terms')
