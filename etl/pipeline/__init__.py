"""The build: load (the only writer of rows), enrich, and the runs in process or in workers."""
