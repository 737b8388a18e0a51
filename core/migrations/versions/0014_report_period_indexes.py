"""indexes that find a period's status events and department opinions by time, for the reports

A month's report counts the steps taken and the opinions published in that month (core/reports.py): with
these it reads the month's rows instead of every row since the beginning. No table is rebuilt.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 02:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_status_events_created_at', 'status_events', ['created_at'])
    op.create_index('ix_department_reviews_created_at', 'department_reviews', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_department_reviews_created_at', table_name='department_reviews')
    op.drop_index('ix_status_events_created_at', table_name='status_events')
