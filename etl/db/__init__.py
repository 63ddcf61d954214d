"""The database: the one schema declaration, its generated DDL, indexes and ranked search."""
