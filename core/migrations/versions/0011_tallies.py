"""tallies: supporters, followers and proposal totals kept by triggers and folded in batches

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 12:00:00

Every insert, delete or move of a vote or a follow appends a change row (`tally_changes`) in its own
transaction, through a trigger, whatever code path wrote it; every new proposal gets its tally row and a
+1 in `proposal_count_changes`, and a change of status, category or department a -1/+1 pair. The
`tallies` job folds the changes into `proposal_tallies` and `proposal_counts` (core/tallies.py), so the
hot reads never count the votes, follows or proposals tables, and stay exact (folded + not yet folded).

PostgreSQL: statement-level triggers with transition tables, so a multi-row insert of a batch of votes
appends one change row per proposal, not one per vote. SQLite has row-level triggers only.

A later migration that rebuilds `votes`, `follows` or `proposals` on SQLite (batch mode copies and drops
the table) drops their triggers with it and must create them again:
tests/integration/test_tallies.py checks that they exist at head.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

SQLITE_TRIGGERS = [
    """CREATE TRIGGER tally_votes_insert AFTER INSERT ON votes BEGIN
         INSERT INTO tally_changes (proposal_id, votes, followers) VALUES (NEW.proposal_id, 1, 0); END""",
    """CREATE TRIGGER tally_votes_delete AFTER DELETE ON votes BEGIN
         INSERT INTO tally_changes (proposal_id, votes, followers) VALUES (OLD.proposal_id, -1, 0); END""",
    """CREATE TRIGGER tally_votes_move AFTER UPDATE OF proposal_id ON votes
         WHEN OLD.proposal_id IS NOT NEW.proposal_id BEGIN
         INSERT INTO tally_changes (proposal_id, votes, followers)
           VALUES (OLD.proposal_id, -1, 0), (NEW.proposal_id, 1, 0); END""",
    """CREATE TRIGGER tally_follows_insert AFTER INSERT ON follows BEGIN
         INSERT INTO tally_changes (proposal_id, votes, followers) VALUES (NEW.proposal_id, 0, 1); END""",
    """CREATE TRIGGER tally_follows_delete AFTER DELETE ON follows BEGIN
         INSERT INTO tally_changes (proposal_id, votes, followers) VALUES (OLD.proposal_id, 0, -1); END""",
    """CREATE TRIGGER tally_follows_move AFTER UPDATE OF proposal_id ON follows
         WHEN OLD.proposal_id IS NOT NEW.proposal_id BEGIN
         INSERT INTO tally_changes (proposal_id, votes, followers)
           VALUES (OLD.proposal_id, 0, -1), (NEW.proposal_id, 0, 1); END""",
    """CREATE TRIGGER tally_proposals_insert AFTER INSERT ON proposals BEGIN
         INSERT INTO proposal_tallies (proposal_id, votes, followers) VALUES (NEW.id, 0, 0);
         INSERT INTO proposal_count_changes (status, category_code, department_code, delta)
           VALUES (NEW.status, NEW.category_code, NEW.department_code, 1); END""",
    """CREATE TRIGGER tally_proposals_update AFTER UPDATE OF status, category_code, department_code ON proposals
         WHEN OLD.status IS NOT NEW.status OR OLD.category_code IS NOT NEW.category_code
           OR OLD.department_code IS NOT NEW.department_code BEGIN
         INSERT INTO proposal_count_changes (status, category_code, department_code, delta)
           VALUES (OLD.status, OLD.category_code, OLD.department_code, -1),
                  (NEW.status, NEW.category_code, NEW.department_code, 1); END""",
    """CREATE TRIGGER tally_proposals_delete AFTER DELETE ON proposals BEGIN
         INSERT INTO proposal_count_changes (status, category_code, department_code, delta)
           VALUES (OLD.status, OLD.category_code, OLD.department_code, -1); END""",
]

POSTGRES_FUNCTIONS = [
    # Inserted (sign 1) or deleted (sign -1) votes or follows of one statement: one change row per proposal.
    """CREATE FUNCTION oasis_tally_rows() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE
         sign integer := TG_ARGV[0]::integer;
       BEGIN
         INSERT INTO tally_changes (proposal_id, votes, followers)
         SELECT proposal_id,
                CASE WHEN TG_TABLE_NAME = 'votes' THEN sign * count(*) ELSE 0 END,
                CASE WHEN TG_TABLE_NAME = 'follows' THEN sign * count(*) ELSE 0 END
         FROM changed GROUP BY proposal_id;
         RETURN NULL;
       END $$""",
    """CREATE FUNCTION oasis_tally_move() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE
         v integer := CASE WHEN TG_TABLE_NAME = 'votes' THEN 1 ELSE 0 END;
       BEGIN
         INSERT INTO tally_changes (proposal_id, votes, followers)
         VALUES (OLD.proposal_id, -v, v - 1), (NEW.proposal_id, v, 1 - v);
         RETURN NULL;
       END $$""",
    """CREATE FUNCTION oasis_proposals_added() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO proposal_tallies (proposal_id, votes, followers) SELECT id, 0, 0 FROM changed;
         INSERT INTO proposal_count_changes (status, category_code, department_code, delta)
         SELECT status, category_code, department_code, count(*) FROM changed
         GROUP BY status, category_code, department_code;
         RETURN NULL;
       END $$""",
    """CREATE FUNCTION oasis_proposals_removed() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO proposal_count_changes (status, category_code, department_code, delta)
         SELECT status, category_code, department_code, -count(*) FROM changed
         GROUP BY status, category_code, department_code;
         RETURN NULL;
       END $$""",
    """CREATE FUNCTION oasis_proposals_moved() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO proposal_count_changes (status, category_code, department_code, delta)
         VALUES (OLD.status, OLD.category_code, OLD.department_code, -1),
                (NEW.status, NEW.category_code, NEW.department_code, 1);
         RETURN NULL;
       END $$""",
]

POSTGRES_TRIGGERS = [
    *(f"""CREATE TRIGGER tally_{table}_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS changed
          FOR EACH STATEMENT EXECUTE FUNCTION oasis_tally_rows('1')""" for table in ('votes', 'follows')),
    *(f"""CREATE TRIGGER tally_{table}_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS changed
          FOR EACH STATEMENT EXECUTE FUNCTION oasis_tally_rows('-1')""" for table in ('votes', 'follows')),
    *(f"""CREATE TRIGGER tally_{table}_move AFTER UPDATE OF proposal_id ON {table} FOR EACH ROW
          WHEN (OLD.proposal_id IS DISTINCT FROM NEW.proposal_id) EXECUTE FUNCTION oasis_tally_move()"""
      for table in ('votes', 'follows')),
    """CREATE TRIGGER tally_proposals_insert AFTER INSERT ON proposals REFERENCING NEW TABLE AS changed
       FOR EACH STATEMENT EXECUTE FUNCTION oasis_proposals_added()""",
    """CREATE TRIGGER tally_proposals_delete AFTER DELETE ON proposals REFERENCING OLD TABLE AS changed
       FOR EACH STATEMENT EXECUTE FUNCTION oasis_proposals_removed()""",
    """CREATE TRIGGER tally_proposals_update AFTER UPDATE OF status, category_code, department_code ON proposals
       FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.category_code IS DISTINCT FROM
       NEW.category_code OR OLD.department_code IS DISTINCT FROM NEW.department_code)
       EXECUTE FUNCTION oasis_proposals_moved()""",
]

TRIGGER_NAMES = [(f'tally_{table}_{op_}', table) for table in ('votes', 'follows')
                 for op_ in ('insert', 'delete', 'move')] + [
    (f'tally_proposals_{op_}', 'proposals') for op_ in ('insert', 'update', 'delete')]
FUNCTION_NAMES = ['oasis_tally_rows', 'oasis_tally_move', 'oasis_proposals_added', 'oasis_proposals_removed',
                  'oasis_proposals_moved']


def upgrade() -> None:
    op.create_table(
        'proposal_tallies',
        sa.Column('proposal_id', ID, autoincrement=False, nullable=False),
        sa.Column('votes', sa.Integer(), server_default='0', nullable=False),
        sa.Column('followers', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_tallies_proposal_id_proposals'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('proposal_id', name=op.f('pk_proposal_tallies')),
    )
    op.create_index('ix_proposal_tallies_votes', 'proposal_tallies', ['votes', 'proposal_id'])
    op.create_table(
        'tally_changes',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('proposal_id', ID, nullable=False),
        sa.Column('votes', sa.Integer(), server_default='0', nullable=False),
        sa.Column('followers', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tally_changes')),
    )
    op.create_index('ix_tally_changes_proposal', 'tally_changes', ['proposal_id', 'votes', 'followers'])
    op.create_table(
        'proposal_counts',
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('category_code', sa.String(length=40), nullable=False),
        sa.Column('department_code', sa.String(length=40), nullable=False),
        sa.Column('proposals', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('status', 'category_code', 'department_code', name=op.f('pk_proposal_counts')),
    )
    op.create_table(
        'proposal_count_changes',
        sa.Column('id', ID, autoincrement=True, nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('category_code', sa.String(length=40), nullable=False),
        sa.Column('department_code', sa.String(length=40), nullable=False),
        sa.Column('delta', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_count_changes')),
    )
    # What is stored already, counted once here; from now on the triggers keep it.
    op.execute("INSERT INTO proposal_tallies (proposal_id, votes, followers) SELECT p.id, "
               "(SELECT count(*) FROM votes v WHERE v.proposal_id = p.id), "
               "(SELECT count(*) FROM follows f WHERE f.proposal_id = p.id) FROM proposals p")
    op.execute("INSERT INTO proposal_counts (status, category_code, department_code, proposals) "
               "SELECT status, category_code, department_code, count(*) FROM proposals "
               "GROUP BY status, category_code, department_code")
    if op.get_bind().dialect.name == 'postgresql':
        for statement in (*POSTGRES_FUNCTIONS, *POSTGRES_TRIGGERS):
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    for name, table in TRIGGER_NAMES:
        op.execute(f'DROP TRIGGER IF EXISTS {name} ON {table}' if postgres else f'DROP TRIGGER IF EXISTS {name}')
    if postgres:
        for function in FUNCTION_NAMES:
            op.execute(f'DROP FUNCTION IF EXISTS {function}()')
    op.drop_table('proposal_count_changes')
    op.drop_table('proposal_counts')
    op.drop_index('ix_tally_changes_proposal', table_name='tally_changes')
    op.drop_table('tally_changes')
    op.drop_index('ix_proposal_tallies_votes', table_name='proposal_tallies')
    op.drop_table('proposal_tallies')
