"""The database layer: typed models, Alembic migrations, and functions that take a Session and never commit."""
